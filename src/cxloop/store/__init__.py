"""The one SQL store: schema, engine factory per dialect, repositories and migrations."""
