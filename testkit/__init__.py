"""Test doubles and test-data generators that tests and benchmarks share (never imported by the product)."""
