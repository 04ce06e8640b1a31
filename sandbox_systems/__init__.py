"""Local stand-ins for the systems beside Centra (ERP, PIM, customer service), for demo and tests.

Like `centra_sandbox`, nothing here is imported by `centra_pipelines`: the product meets these
systems only through its connectors, over SQL, HTTP or files.
"""
