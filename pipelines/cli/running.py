"""`aispend serve`, `demo` and `simulator serve`: running things."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from pipelines.cli.base import _date, _settings, main


@main.command()
def serve() -> None:
    """Start the Dagster UI (with its daemon) and the dashboard on 127.0.0.1."""
    from pipelines.serve import serve as run

    sys.exit(run(_settings(), echo=click.echo))


PORT = click.IntRange(1, 65535)
PORT_OR_ANY = click.IntRange(0, 65535)


def _simulator_limits():
    from connectors.simulator.server import MAX_DAYS, MAX_MEMBERS

    return click.IntRange(1, MAX_DAYS), click.IntRange(1, MAX_MEMBERS)


DAYS, MEMBERS = _simulator_limits()


@main.command()
@click.option("--no-serve", is_flag=True, help="Prepare the demo data and exit.")
@click.option(
    "--days", default=90, show_default=True, type=DAYS, help="How many days of history to generate."
)
@click.option(
    "--members", default=12, show_default=True, type=MEMBERS, help="Size of the generated team."
)
@click.option("--verbose", is_flag=True, help="Show Dagster's log instead of progress lines.")
def demo(no_serve: bool, days: int, members: int, verbose: bool) -> None:
    """A working aispend on simulator data: no vendor key needed."""
    from pipelines.demo import run_demo

    sys.exit(
        run_demo(
            _settings(),
            serve_after=not no_serve,
            days=days,
            members=members,
            echo=click.echo,
            verbose=verbose,
        )
    )


@main.group()
def simulator() -> None:
    """The vendor simulator (real HTTP on 127.0.0.1)."""


COUNT = click.IntRange(1, None)


@simulator.command("serve")
@click.option("--port", default=8765, show_default=True, type=PORT_OR_ANY, help="0: any free port.")
@click.option("--seed", default=7, show_default=True)
@click.option("--members", default=12, show_default=True, type=MEMBERS)
@click.option("--days", default=90, show_default=True, type=DAYS)
@click.option(
    "--start", callback=_date, default=None, help="First simulated day (default: --days ago)."
)
@click.option("--rate-limit-every", type=COUNT, default=None, help="Every Nth request: HTTP 429.")
@click.option(
    "--retry-after",
    type=click.FloatRange(0, 3600),
    default=0,
    show_default=True,
    help="Seconds sent in Retry-After with each 429.",
)
@click.option("--server-error-every", type=COUNT, default=None, help="Every Nth request: HTTP 500.")
@click.option(
    "--slow-seconds",
    type=click.FloatRange(0, 3600),
    default=0,
    show_default=True,
    help="Delay before every answer.",
)
@click.option(
    "--malformed-every", type=COUNT, default=None, help="Every Nth request: invalid JSON."
)
@click.option("--missing-field", default=None, help="Drop this key from every listed object.")
@click.option("--only-paths", default=None, help="Misbehave only on paths containing this.")
@click.option(
    "--kiro-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write Kiro's report files for the same team into this folder.",
)
def simulator_serve(
    port: int,
    seed: int,
    members: int,
    days: int,
    start: dt.date | None,
    kiro_dir: Path | None,
    **faults,
) -> None:
    """Serve simulated vendor APIs until Ctrl-C (and write Kiro's report files); the fault
    options make every vendor misbehave."""
    import time

    from connectors.simulator import Simulator

    start = start or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1))
    if kiro_dir is not None:
        from connectors.simulator.kiro import KiroReports

        written = KiroReports(seed=seed, members=members, start=start, days=days).write(kiro_dir)
        click.echo(
            f"kiro: {written} report files in {kiro_dir}   "
            f"aispend vendor configure kiro --set folder={kiro_dir.resolve()}"
        )
    sim = Simulator(seed=seed, members=members, start=start, days=days, port=port)
    knobs = {k: v for k, v in faults.items() if v not in (None, 0)}
    sim.start()
    if knobs:
        sim.set_faults(**knobs)
        click.echo("faults: " + ", ".join(f"{k}={v}" for k, v in sorted(knobs.items())))
    try:
        for name in sim.vendor_names():
            config = sim.config(name)
            flags = " ".join(f"--set {k}={v}" for k, v in config.items() if k != "base_url")
            click.echo(
                f"{name}: {sim.base_url(name)}   aispend vendor configure {name} {flags} --base-url {sim.base_url(name)}"
            )
        click.echo("Press Ctrl-C to stop.")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
