"""The operator CLI, `postbacks`: read, replay and send postbacks of a deployed or local stack."""
