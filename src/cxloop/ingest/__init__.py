"""Ingest: turns API payloads and files into validated canonical records, with reasons for rejects."""
