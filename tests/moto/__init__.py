"""Tests of the layer, the CLI and the local emulator against a moto server over HTTP."""
