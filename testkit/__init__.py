"""Test doubles and helpers that both the tests and the benchmarks use (never imported by the product)."""
