"""The store's tests, run on SQLite and on PostgreSQL."""
