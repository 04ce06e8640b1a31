"""The ERP: orders, payments and credit notes out, its document numbers back (docs/erp.md)."""
