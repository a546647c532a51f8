"""Turn each evidence kind into dated events and merge them, UTC."""
