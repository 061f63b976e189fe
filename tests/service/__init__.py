"""Service layer: the domain on a real database, with recording fakes for Slack and no HTTP."""
