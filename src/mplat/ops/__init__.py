"""Operator commands: ingestion CLI, local stack, on-premise upload, sample data."""
