"""coachbot's engine, transports, storage, scheduling and command line."""

COACHBOT_PACKAGE = True
"""Marks this as coachbot's own package (bot/own_packages.py), not a namesake from PyPI."""

__version__ = "0.2.0"
"""The release; CHANGELOG.md says what each one brought. The wheel's version is read from here."""
