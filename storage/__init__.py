"""Persistence: SQLAlchemy models, repositories returning plain records, units of work."""
