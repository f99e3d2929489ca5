"""HTTP delivery: thin routers that parse, authorize, call the core and edges, and render."""
