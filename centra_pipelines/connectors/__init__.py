"""Transports to the systems on the other side: files, SQL databases and REST APIs."""
