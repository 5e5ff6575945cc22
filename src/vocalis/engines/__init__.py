"""Model backends behind the small protocols in `protocols.py`, loaded lazily."""
