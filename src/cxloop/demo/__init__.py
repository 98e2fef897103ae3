"""Deterministic synthetic company for the demo and the benchmarks."""
