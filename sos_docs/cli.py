"""The `sos-docs` command line: parses arguments and wires the pipeline stages together."""

from __future__ import annotations

import click

from sos_docs import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sos-docs")
def cli() -> None:
    """Turn Signs of Safety mapping workbooks into conference paperwork."""


def main() -> None:
    """Console-script entry point."""
    cli()
