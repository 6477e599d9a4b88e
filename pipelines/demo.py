"""`aispend demo`: a working aispend on simulator data, no vendor key needed.

Initialises $AISPEND_HOME, starts the vendor simulator on 127.0.0.1, points the real Anthropic,
Cursor, OpenAI, Replit and GitHub Copilot connectors at it, writes Kiro's report files into
$AISPEND_HOME/kiro-reports (as an admin's S3 sync would) for the Kiro connector, adds a manual
entry, imports an invoice file (``aispend import``: a tool with no connector, billed per seat to
the team's emails), backfills the history through Dagster and
serves both UIs (the simulator keeps answering while they run, so schedules work too).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os

from pipelines.setup_home import check_init, init_home, set_dotenv_value
from warehouse import credentials, identities, manual_entries, members, users
from warehouse.actors import Actor
from warehouse.engine import make_engine
from warehouse.errors import check_int
from warehouse.settings import Settings

DEMO_ADMIN = "admin@example.com"
DEMO_VIEWER = "viewer@example.com"
DEMO_PASSWORD = "aispend-demo"
DEMO_SOURCES = ("anthropic", "cursor", "openai", "replit", "copilot")
DEMO_FILE_SOURCES = ("kiro",)  # configured with a folder the demo fills
SIMULATOR_PORT = 8765
ACTOR = Actor("aispend-demo", "admin")
DEMO_TEAMS = ("Platform", "Product", "Data")


def link_demo_team(engine, tenant) -> int:
    """Make every person seen in the vendor data a member (in a few teams) and link all their
    accounts by email, the way an admin would; a no-op once the tenant has members."""
    if members.list_members(engine, tenant, ACTOR):
        return 0
    people: set[str] = set()
    for account in identities.list_accounts(engine, tenant, ACTOR):
        email = identities.account_email(account)
        if account["kind"] == "user" and email and email not in people:
            team = DEMO_TEAMS[len(people) % len(DEMO_TEAMS)]
            identities.create_member_from_account(engine, tenant, ACTOR, account["id"], team=team)
            people.add(email)
    identities.link_possible_matches(engine, tenant, ACTOR)  # their API keys, other vendors
    _link_by_name(engine, tenant)  # accounts without an email (some Replit members, GitHub logins)
    return len(people)


def _link_by_name(engine, tenant) -> None:
    """Link each unlinked person account whose display name is exactly one member's name."""
    by_name: dict[str, list[int]] = {}
    for member in members.list_members(engine, tenant, ACTOR):
        by_name.setdefault(member["display_name"], []).append(member["id"])
    for account in identities.list_accounts(engine, tenant, ACTOR):
        matches = by_name.get(account["display_name"] or "", [])
        if account["member_id"] is None and account["kind"] == "user" and len(matches) == 1:
            identities.link_account(engine, tenant, ACTOR, account["id"], matches[0])


def login_hint(chosen_password: str | None) -> str:
    """How to log in. A password the person chose (AISPEND_ADMIN_PASSWORD) is theirs and never
    printed; only the demo's own made-up password is."""
    who = f"log in as {DEMO_ADMIN} (admin) or {DEMO_VIEWER} (viewer)"
    if chosen_password:
        return f"{who} with the password in AISPEND_ADMIN_PASSWORD"
    return f"{who}, password {DEMO_PASSWORD!r}"


def _write_kiro_reports(settings, engine, tenant, members: int, start: dt.date, days: int):
    """The simulated team's Kiro reports in a folder, and the Kiro source reading it."""
    from connectors.simulator.kiro import KiroReports

    reports = KiroReports(seed=7, members=members, start=start, days=days)
    folder = settings.home / "kiro-reports"
    reports.write(folder)
    config = reports.config(folder)
    credentials.configure_source(engine, settings.secret_keys, tenant, ACTOR, "kiro", config, set())


def _import_demo_invoice(settings, engine, tenant, members: int, start: dt.date, end: dt.date):
    """A seat invoice per month from a vendor with no connector, imported as a file would be
    (once: a tenant with file imports keeps them). Returns the import's result or None."""
    import csv

    from connectors.simulator.team import generate_team
    from warehouse import file_imports

    if file_imports.list_imports(engine, tenant, ACTOR):
        return None
    path = settings.home / "demo-invoices" / "windsurf-invoices.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    team = generate_team(7, members)[::2]  # half the team has a Windsurf seat
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Start Date", "End Date", "Vendor", "Description", "Amount", "Invoice #", "User Email"])  # fmt: skip
        month = start.replace(day=1)
        while month <= end:
            last = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            for member in team:
                writer.writerow(
                    [
                        month,
                        last,
                        "Windsurf",
                        "Teams seat",
                        "$30.00",
                        f"WS-{month:%Y%m}",
                        member.email,
                    ]
                )
            month = last + dt.timedelta(days=1)
    return file_imports.import_file(engine, tenant, ACTOR, path)


def _start_simulator(members: int, start: dt.date, days: int):
    from connectors.simulator import Simulator

    try:
        return Simulator(
            seed=7, members=members, start=start, days=days, port=SIMULATOR_PORT
        ).start()
    except OSError:  # the port is taken (another demo?): any free port will do
        return Simulator(seed=7, members=members, start=start, days=days, port=0).start()


def run_demo(
    settings: Settings,
    *,
    serve_after: bool,
    days: int = 90,
    members: int = 12,
    echo=print,
    verbose: bool = False,
) -> int:
    from connectors.registry import get_connector
    from connectors.simulator.server import MAX_DAYS, MAX_MEMBERS
    from pipelines.progress import ProgressReporter, failure_lines, summary_table
    from pipelines.suggestions.assets import materialize_suggestions
    from pipelines.sync import refresh_marts, run_sync

    # Everything the demo could refuse is refused before anything is written.
    check_int(days, "--days", 1, MAX_DAYS)
    check_int(members, "--members", 1, MAX_MEMBERS)
    chosen_password = settings.admin_password
    password = chosen_password or DEMO_PASSWORD
    check_init(settings.tenant, DEMO_ADMIN, password)
    users.check_password(password)
    result = init_home(
        settings, tenant_slug=settings.tenant, admin_email=DEMO_ADMIN, admin_password=password
    )
    settings = result.settings
    engine = make_engine(settings.database_url)
    tenant = result.tenant
    if not users.user_exists(engine, tenant, DEMO_VIEWER):
        users.create_user(
            engine,
            tenant,
            ACTOR,
            email=DEMO_VIEWER,
            name="Demo Viewer",
            password=password,
            role="viewer",
        )

    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=days - 1)
    if "AISPEND_HISTORY_START" not in os.environ:
        # The partitions start where the demo's history starts (the Dagster UI shows them
        # filled, not 608 missing); `aispend serve` reads the same .env.
        set_dotenv_value(settings, "AISPEND_HISTORY_START", start.isoformat())
        settings = dataclasses.replace(settings, history_start=start)
    sim = _start_simulator(members, start, days)
    try:
        for source in DEMO_SOURCES:
            secret = {f.name for f in get_connector(source).credential_fields if f.secret}
            credentials.configure_source(
                engine, settings.secret_keys, tenant, ACTOR, source, sim.config(source), secret
            )
        _write_kiro_reports(settings, engine, tenant, members, start, days)
        if not manual_entries.list_entries(engine, tenant, ACTOR):
            first = today.replace(day=1)
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            manual_entries.create_entry(
                engine,
                tenant,
                ACTOR,
                provider="JetBrains",
                service="AI Assistant seats",
                amount=str(10 * members),
                period_start=first,
                period_end=last,
                description=f"{members} seats × $10 (demo invoice)",
            )
        echo(
            f"simulator: {sim.base_url('anthropic').rsplit('/', 1)[0]} ({members} members, {days} days)"
        )
        echo(f"backfilling {start} … {today} through Dagster …")
        month_end = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(
            days=1
        )
        reporter = None if verbose else ProgressReporter()
        with reporter.active() if reporter else contextlib.nullcontext():
            results = run_sync(
                settings,
                tenant=tenant.slug,
                sources=[*DEMO_SOURCES, *DEMO_FILE_SOURCES],
                start=start,
                end=today,
                verbose=verbose,
                progress=reporter,
            )
            # Manual entries cover whole months, including the days still ahead.
            results += run_sync(
                settings,
                tenant=tenant.slug,
                sources=["manual"],
                start=start,
                end=month_end,
                verbose=verbose,
                progress=reporter,
            )
        echo(summary_table(results))
        for line in failure_lines(results):
            echo(line)
        failed = not all(r.ok for r in results)
        imported = _import_demo_invoice(settings, engine, tenant, members, start, today)
        if imported is not None:
            echo(f"  file: {imported.filename}, {imported.facts} daily facts")
        if link_demo_team(engine, tenant):
            # the marts that read identity links see the new members
            refresh_marts(settings, verbose=verbose)
        made = materialize_suggestions(settings, tenant=tenant.slug, verbose=verbose)
        echo(
            f"suggestions: {made['member_months'] - made['cached']} written, {made['cached']} cached"
            + (
                ""
                if settings.anthropic_api_key
                else " (offline muse: set ANTHROPIC_API_KEY for Claude)"
            )
        )
        echo(login_hint(chosen_password))
        if failed:
            return 1
        if not serve_after:
            return 0
        from pipelines.serve import serve

        return serve(settings, echo=echo)
    finally:
        sim.stop()
