"""Demo wiring: runs the pipelines against the embedded Centra sandbox.

This is the only place, besides the tests, that starts the sandbox; the product never imports it.
"""
