"""Settings operators change without touching code: YAML files checked when definitions load."""
