"""The Slack edge: parse payloads, call the domain, render Block Kit, call the Web API."""
