"""Materials: items' planning data, BOM releases as immutable versions, and their explosion."""
