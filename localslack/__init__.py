"""The local Slack used by the demo and the tests: a fake Web API over HTTP, an event sender, the demo."""
