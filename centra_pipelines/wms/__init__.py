"""The warehouse management system: stock levels in, shipments and orders out (docs/wms.md)."""
