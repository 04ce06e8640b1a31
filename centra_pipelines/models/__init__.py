"""Models shared by every system folder: partitions, metadata vocabulary, value conversions."""
