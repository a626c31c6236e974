"""Model catalog: one query type, one result type, three sources (live, snapshot, auto)."""
