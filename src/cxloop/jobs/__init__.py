"""Wiring: accepting records into the intake queue, the pipeline stages, the worker that runs them."""
