"""The ``followup`` command: a thin shell over the public API.

Exit codes: 0 fine, 1 invalid input (a message naming file, line and value, no
traceback), 2 usage error, 3 an internal error (a bug: set ``FOLLOWUP_DEBUG=1`` to
see the traceback and please report it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from .._errors import FollowupError
from ._group import PluginGroup
from ._options import EXIT_INTERNAL, EXIT_INVALID, EXIT_USAGE, fail

__all__ = ["cli", "main"]

@click.group(cls=PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="followup", prog_name="followup")
def cli() -> None:
    """Interview follow-ups, worked out from rules: what is due, when, to whom, how."""


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line; never lets a traceback reach the user."""
    try:
        code = cli.main(args=list(argv) if argv is not None else None, prog_name="followup", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_INVALID)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INVALID)
    except FollowupError as exc:
        fail(exc)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except Exception as exc:
        if os.environ.get("FOLLOWUP_DEBUG"):
            raise
        click.echo(
            f"followup: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug. Run again with FOLLOWUP_DEBUG=1 for the traceback, and please report it.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])

