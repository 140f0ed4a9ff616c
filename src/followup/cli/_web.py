"""``followup serve``: the local web agenda and its HTTP API (needs the ``web`` extra)."""

from __future__ import annotations

import os

import click

from .._errors import InvalidInput

__all__ = ["COMMANDS"]


@click.command("serve")
@click.argument("state", required=False, type=click.Path(dir_okay=False))
@click.option("--store", "store_url", metavar="URL", help="Serve a store (sqlite:PATH, postgresql://...) instead of a state file.")
@click.option("--rules", "rules", multiple=True, type=click.Path(dir_okay=False), help="A rulebook; repeat to stack overlays. Default: the packaged default rulebook.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind. Anything but loopback needs FOLLOWUP_WEB_TOKEN set.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port to bind (0: any free port, printed at start).")
@click.option("--now", metavar="ISO8601", help="Show the agenda as of this instant instead of the clock (demos, tests); forms write at it too.")
@click.option("--feed-token", metavar="SECRET", envvar="FOLLOWUP_FEED_TOKEN", help="The secret in the calendar feed's URL (default: a new random one each start; env FOLLOWUP_FEED_TOKEN).")
def serve_command(
    state: str | None, store_url: str | None, rules: tuple[str, ...], host: str, port: int, now: str | None, feed_token: str | None
) -> None:
    """Serve the agenda of STATE (or --store) as web pages and a JSON API on http://HOST:PORT/.

    The pages show today's agenda, each application and each action with its
    explanation; from them you mark actions done, snooze or dismiss them, record a
    reply, and add an application or an interview, written exactly as the command
    line writes them. The API is described at /api/openapi.json.
    """
    try:
        import uvicorn

        from ..web import TOKEN_VARIABLE, Site, create_app
    except ImportError as exc:
        raise InvalidInput.single(
            "serve", f"needs the web extra ({exc.name} is missing): pip install 'followup[web]'"
        ) from None
    from ._options import parse_now

    if state is None and store_url is None:
        raise click.UsageError("give a STATE file or --store URL")
    if state is not None and store_url is not None:
        raise click.UsageError("give a STATE file or --store URL, not both")
    site = Site(state_path=state, store_url=store_url, rules=rules, host=host, token=os.environ.get(TOKEN_VARIABLE) or None)
    if feed_token:
        site.feed_token = feed_token
    loaded = site.load()  # a state that cannot be read is reported now, not on the first page
    site.engine  # noqa: B018  (the rulebook is compiled, and reported, at start)
    if now is not None:
        site.now = parse_now(now, loaded.candidate.calendar.tz)
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listening = socket.create_server((host.strip("[]"), port), family=family)
    except OSError as exc:
        raise InvalidInput.single("--host/--port", f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound = listening.getsockname()
    shown = f"[{bound[0]}]" if family == socket.AF_INET6 else bound[0]
    click.echo(f"followup serve: http://{shown}:{bound[1]}/ ({state if state is not None else site.label})")
    click.echo(f"calendar feed: http://{shown}:{bound[1]}/feed/{site.feed_token}/calendar.ics")
    if site.public:
        click.echo(f"reachable from the network: every request needs the token in {TOKEN_VARIABLE}")
    import sys

    sys.stdout.flush()
    config = uvicorn.Config(create_app(site), log_level="warning", access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[listening])
    except KeyboardInterrupt:
        pass
    finally:
        listening.close()


COMMANDS = (serve_command,)
