"""Software-defined assets for every Centra entity, grouped by domain."""
