"""Risk screening and routing: decides a tier for every inbound message before any flow logic."""

COACHBOT_PACKAGE = True
"""Marks this as coachbot's own package (bot/own_packages.py), not a namesake from PyPI."""
