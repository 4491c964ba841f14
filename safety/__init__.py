"""Risk screening and routing: decides a tier for every inbound message before any flow logic."""
