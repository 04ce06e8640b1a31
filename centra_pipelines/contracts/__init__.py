"""Data contracts: what a valid record looks like, and what happens to one that is not."""
