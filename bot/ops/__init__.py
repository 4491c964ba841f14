"""Operating the bot: health, readiness and metrics over HTTP (docs/OPERATIONS.md)."""
