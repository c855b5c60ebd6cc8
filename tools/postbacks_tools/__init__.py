"""Operator tools for the postbacks service: the CLI and the local stack."""
