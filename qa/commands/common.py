"""What every `qa` command shares: settings from its options, and the one way to fail."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from qa.config import Settings


def settings_from_options(**overrides) -> Settings:
    """Settings with the options the user gave (None: not given); a bad value is a usage error."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValueError as exc:  # pydantic ValidationError
        raise click.UsageError(str(exc)) from exc


def fail(exc: Exception) -> NoReturn:
    """One line on stderr saying what is wrong and what to do, then exit status 2 (no traceback)."""
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)
