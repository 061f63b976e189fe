"""Wiring: settings, the app factory, the HTTP server and the scheduler tick."""
