"""`python -m cxloop` runs the CLI."""

from cxloop.cli import main

main()
