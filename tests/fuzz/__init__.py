"""Property-based fuzzing (hypothesis) of the edges that take untrusted input: Slack requests and KB files."""
