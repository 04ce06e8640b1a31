"""Analytics tables built in the warehouse from the raw synced data."""
