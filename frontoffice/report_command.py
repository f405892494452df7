"""The ``report`` and ``purge`` subcommands (argument handling; the work is in
``frontoffice.report`` and the core)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dialogs.messages import t
from frontoffice.settings import Settings
from knowledge.reload import Snapshot, build_snapshot
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.persistence.privacy import SqlPrivacy
from servicedesk.reporting import Report


def run_report(settings: Settings, args: argparse.Namespace) -> int:
    from frontoffice import report as reporting

    snapshot = build_snapshot(settings.knowledge_dir)
    language = args.language or settings.default_language
    timezone = reporting.timezone_of(snapshot)
    if args.demo is not None:
        result = _demo_report(snapshot, args)
    else:
        now = datetime.now(UTC)
        window = reporting.parse_window(
            args.start, args.end, now.astimezone(timezone).date(), timezone
        )
        engine = create_engine(settings.db_url)
        try:
            result = asyncio.run(reporting.load_report(engine, window, snapshot, now))
        finally:
            engine.dispose()
    if args.format == "json":
        print(reporting.render_json(result))
    elif args.format == "csv":
        sys.stdout.write(reporting.chargeback_csv(result, snapshot))
    else:
        sys.stdout.write(reporting.render_text(result, language, snapshot))
    if args.out is not None:
        written = reporting.write_files(result, args.out, language, snapshot)
        print(
            t(language, "insight.written", files=", ".join(str(p) for p in written)),
            file=sys.stderr,
        )
    return 0


def _demo_report(snapshot: Snapshot, args: argparse.Namespace) -> Report:
    """A generated history in a throw-away SQLite database, reported as if it were real."""
    from frontoffice import history as generated
    from frontoffice import report as reporting

    timezone = reporting.timezone_of(snapshot)
    seed = args.seed if args.seed is not None else generated.DEFAULT_SEED
    history = generated.generate(snapshot.knowledge, count=args.demo, seed=seed)
    window = history.window
    if args.start or args.end:
        last = (history.window.end - timedelta(days=1)).astimezone(timezone).date()
        window = reporting.parse_window(args.start, args.end, last + timedelta(days=1), timezone)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        migrate(url)
        engine = create_engine(url)
        try:
            generated.write(engine, history)
            return asyncio.run(
                reporting.load_report(
                    engine,
                    window,
                    snapshot,
                    history.window.end,
                )
            )
        finally:
            engine.dispose()


def run_purge(settings: Settings, dry_run: bool, now: datetime | None = None) -> int:
    snapshot = build_snapshot(settings.knowledge_dir)
    language = settings.default_language
    cutoff = (now or datetime.now(UTC)) - timedelta(days=settings.retention_days)
    engine = create_engine(settings.db_url)
    try:
        summary = asyncio.run(
            SqlPrivacy(engine).purge(
                cutoff, buildings=snapshot.knowledge.organisation.buildings, dry_run=dry_run
            )
        )
    finally:
        engine.dispose()
    key = "insight.purge.dry_run" if dry_run else "insight.purge.done"
    print(t(language, key, cutoff=cutoff.date().isoformat()))
    for what, count in summary.as_dict().items():
        print("  " + t(language, "insight.purge.line", what=what, count=count))
    return 0
