"""helploop: the domain (request lifecycle, routing, on-call, follow-ups) and the wiring."""
