"""Durable storage: the tables (schema.py), one module per migration (migrations/),
full-text search (search.py), the store itself (database.py), and the owner-checked
interface (`owned.Conversations`) every store access goes through.
"""
