"""Alerts on failed runs, failed checks, stalled sensors and stale data, once per episode."""
