"""Audience: contacts (profiles), static lists and per-channel consent."""
