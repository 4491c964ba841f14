"""The conversation flows, declared as data in flows/data/ and stepped through by flows/stepper.py."""

COACHBOT_PACKAGE = True
"""Marks this as coachbot's own package (bot/own_packages.py), not a namesake from PyPI."""
