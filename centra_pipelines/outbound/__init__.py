"""Changes on their way to another system: planned, checked, sent once."""
