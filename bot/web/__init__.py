"""The coach's web view: sign-in from chat, the caseload, each coachee's shared history and trend, lifting a safety
hold and peer groups, as plain server-rendered pages on the [http] server (docs/WEB.md)."""
