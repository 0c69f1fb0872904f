"""Bulk import, reconciliation and sync settings, around one entity table."""
