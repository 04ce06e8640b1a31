"""The PIM's flow: product enrichment read from its REST API and written to Centra."""
