"""HTTP side of the sandbox: rate limiting, fault injection, request handling, metrics."""
