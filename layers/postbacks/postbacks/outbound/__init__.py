"""Safe outbound HTTP: which addresses may be reached, connections pinned to them, redirects, a deadline."""
