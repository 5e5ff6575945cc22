"""`python -m vocalis` runs the command line."""

from vocalis.cli import app

app()
