"""Trained artefacts shipped in the package, and their loaders."""
