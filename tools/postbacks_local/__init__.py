"""The local emulator behind `make run` and the tests: moto, the API, the queue poller, from template.yaml."""
