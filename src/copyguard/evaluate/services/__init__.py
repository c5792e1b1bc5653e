"""Service-specific authorization rules (one module per service)."""
