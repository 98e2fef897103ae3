"""Helpers the test suite shares: a throwaway PostgreSQL server and headless Chromium."""
