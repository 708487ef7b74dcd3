"""Durable storage: the database schema and its migrations, and the owner-checked
interface (`owned.Conversations`) every store access goes through.
"""
