"""Serving: the FastAPI app, its JSON API under /api/v1, and the server-rendered pages."""
