"""cxloop: a self-hosted Voice-of-Customer and customer-data platform."""

__version__ = "0.1.0"
__all__ = ["__version__"]
