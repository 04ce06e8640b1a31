"""Support tickets and customer-service interactions from the help desk, noted in Centra."""
