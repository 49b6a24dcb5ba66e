"""Persistence: tables, engine, migrations and queries. Imports nothing from Slack."""
