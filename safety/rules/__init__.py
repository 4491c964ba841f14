"""Phrase rules by category; each module exposes RULES."""
