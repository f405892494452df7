"""The ``frontoffice`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from frontoffice import __version__
from frontoffice.settings import Settings
from servicedesk.errors import ConfigurationError, FrontOfficeError, InputError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontoffice",
        description="The digital front office for facilities: a Microsoft Teams bot.",
    )
    parser.add_argument("--version", action="version", version=f"frontoffice {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the bot's web server (/api/messages)",
        description="Run the bot's web server. Flags override env vars.",
    )
    serve.add_argument("--host", help="address to listen on (FRONTOFFICE_HOST)")
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        default=None,
        help="without MicrosoftAppId, listen beyond loopback anyway: no authentication "
        "(FRONTOFFICE_INSECURE_NO_AUTH; warns at every start)",
    )
    serve.add_argument("--port", type=int, help="port to listen on (FRONTOFFICE_PORT)")
    serve.add_argument("--db", help="database URL (FRONTOFFICE_DB_URL)")
    serve.add_argument(
        "--workers",
        type=int,
        help="processes sharing the port (FRONTOFFICE_WORKERS; more than 1 needs PostgreSQL)",
    )

    chat = commands.add_parser(
        "chat",
        help="chat with the bot in this terminal (no network)",
        description="Chat with the bot in this terminal, in process.",
    )
    chat.add_argument("--db", help="database URL (FRONTOFFICE_DB_URL)")
    chat.add_argument("--language", choices=("nl", "en"), help="default language")

    migrate = commands.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Upgrade the database to the newest schema.",
    )
    migrate.add_argument("--db", help="database URL (FRONTOFFICE_DB_URL)")

    knowledge = commands.add_parser(
        "knowledge",
        help="work with the knowledge files",
        description="Work with the knowledge files.",
    )
    knowledge_commands = knowledge.add_subparsers(dest="knowledge_command", metavar="ACTION")
    check = knowledge_commands.add_parser(
        "check",
        help="validate a knowledge folder",
        description="Validate a knowledge folder; one line per problem (file:line: field: message).",
    )
    check.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="knowledge folder (default: FRONTOFFICE_KNOWLEDGE_DIR or the shipped one)",
    )

    outbox = commands.add_parser(
        "outbox",
        help="see deliveries to back offices; retry failed ones",
        description="List the outbox (deliveries and pushes to back offices), or put a "
        "failed job back in line.",
    )
    outbox.add_argument("--db", help="database URL (FRONTOFFICE_DB_URL)")
    outbox.add_argument(
        "--state", choices=("pending", "done", "failed"), help="only jobs in this state"
    )
    outbox.add_argument("--retry", type=int, metavar="ID", help="retry the failed job ID now")

    report = commands.add_parser(
        "report",
        help="figures for the front-office lead: volumes, SLA, satisfaction, charge-back",
        description="Volumes per week, SLA compliance and breaches, lead times, satisfaction, "
        "unanswered questions, unhelpful FAQ answers and charge-back per cost centre. "
        "Dates are local and both included; by default the last four full weeks.",
    )
    report.add_argument("--db", help="database URL (FRONTOFFICE_DB_URL)")
    report.add_argument("--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="end", metavar="DATE", help="last day, YYYY-MM-DD")
    report.add_argument(
        "--format",
        choices=("text", "json", "csv"),
        default="text",
        help="text (default), json (one object) or csv (the charge-back for finance)",
    )
    report.add_argument(
        "--out", type=Path, metavar="DIR", help="also write chargeback.csv and PNG charts here"
    )
    report.add_argument("--language", choices=("nl", "en"), help="language of the texts")
    report.add_argument(
        "--demo",
        nargs="?",
        type=int,
        const=3000,
        metavar="TICKETS",
        help="report on a generated history (default 3000 tickets over 26 weeks) "
        "instead of a database",
    )
    report.add_argument("--seed", type=int, help="--demo: the history's seed")

    purge = commands.add_parser(
        "purge",
        help="anonymise finished tickets older than the retention period (AVG/GDPR)",
        description="Anonymise tickets finished longer than FRONTOFFICE_RETENTION_DAYS ago "
        "(requester, free text, trail notes, followers), and empty old question texts and "
        "dialog state. Figures stay reportable.",
    )
    purge.add_argument("--db", help="database URL (FRONTOFFICE_DB_URL)")
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")
    purge.add_argument(
        "--days", type=int, metavar="N", help="retention in days (FRONTOFFICE_RETENTION_DAYS)"
    )

    notifications = commands.add_parser(
        "notifications",
        help="see the notification schedule, failed sends and people the bot cannot reach",
        description="List scheduled notifications (by state), the people who cannot be "
        "notified by chat (no chat with the bot, blocked, removed), or put a failed, "
        "unconfirmed or unreachable notification back in line.",
    )
    notifications.add_argument("--db", help="database URL (FRONTOFFICE_DB_URL)")
    notifications.add_argument(
        "--state",
        choices=(
            "pending",
            "claimed",
            "sending",
            "sent",
            "skipped",
            "unreachable",
            "unconfirmed",
            "failed",
        ),
        help="only notifications in this state",
    )
    notifications.add_argument(
        "--people", action="store_true", help="list the people not notifiable by chat"
    )
    notifications.add_argument("--retry", type=int, metavar="ID", help="send notification ID again")

    evaluate = commands.add_parser(
        "eval",
        help="measure what the bot does with labelled messages and conversations",
        description=(
            "Score the bot's decision pipeline on JSONL files: messages {text, expect, lang, "
            "kind[, decision]} and conversations {id, turns, answers, expect}, played through "
            "the running app. Without files: the public set and the two held-out files in "
            "tests/data."
        ),
    )
    evaluate.add_argument("files", type=Path, nargs="*", metavar="FILE")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--knowledge", type=Path, help="knowledge folder to evaluate")

    manifest = commands.add_parser(
        "manifest",
        help="build the Teams app package",
        description="Build the Teams app package (manifest, Dutch localisation, icons).",
    )
    manifest_commands = manifest.add_subparsers(dest="manifest_command", metavar="ACTION")
    build = manifest_commands.add_parser(
        "build",
        help="build and validate the Teams app package zip",
        description=(
            "Fill manifest/manifest.template.json and nl.template.json, draw the icons, "
            "validate the result (against the official schema when manifest/node_modules "
            "holds @microsoft/app-manifest) and write the zip to upload in Teams. "
            "Each flag falls back to an environment variable, then to a default. "
            "Exit 0: written; 1: the package would be invalid (nothing written); "
            "2: a flag or variable is missing or malformed."
        ),
    )
    build.add_argument(
        "--bot-id",
        metavar="GUID",
        help="the Azure Bot's Microsoft App ID (FRONTOFFICE_MANIFEST_BOT_ID, else MicrosoftAppId)",
    )
    build.add_argument(
        "--app-id",
        metavar="GUID",
        help="the Teams app id (FRONTOFFICE_MANIFEST_APP_ID; the bot id)",
    )
    build.add_argument(
        "--version",
        dest="app_version",
        metavar="X.Y.Z",
        help=f"the app version (FRONTOFFICE_MANIFEST_VERSION; {__version__})",
    )
    build.add_argument(
        "--out", type=Path, metavar="PATH.zip", help="FRONTOFFICE_MANIFEST_OUT; build/app.zip"
    )
    build.add_argument(
        "--developer-name", metavar="NAME", help="FRONTOFFICE_MANIFEST_DEVELOPER_NAME (max 32)"
    )
    build.add_argument("--website-url", metavar="URL", help="FRONTOFFICE_MANIFEST_WEBSITE_URL")
    build.add_argument("--privacy-url", metavar="URL", help="FRONTOFFICE_MANIFEST_PRIVACY_URL")
    build.add_argument("--terms-url", metavar="URL", help="FRONTOFFICE_MANIFEST_TERMS_URL")
    build.add_argument(
        "--valid-domains",
        metavar="D1,D2",
        help="comma-separated (FRONTOFFICE_MANIFEST_VALID_DOMAINS; the website's host)",
    )
    build.add_argument(
        "--accent-color", metavar="#RRGGBB", help="FRONTOFFICE_MANIFEST_ACCENT_COLOR"
    )
    build.add_argument(
        "--template-dir",
        type=Path,
        metavar="DIR",
        help="folder with the two templates (FRONTOFFICE_MANIFEST_TEMPLATE_DIR; manifest/)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "serve":  # local mode beyond loopback is refused (exit 2)
            from frontoffice.exposure import exposure_warning

            settings = settings.with_overrides(insecure_no_auth=args.insecure_no_auth)
            exposure_warning(settings.with_overrides(host=args.host))
        if args.command == "serve":
            return _serve(
                settings.with_overrides(
                    host=args.host, port=args.port, db_url=args.db, workers=args.workers
                )
            )
        if args.command == "chat":
            from frontoffice.terminal import chat

            settings = settings.with_overrides(db_url=args.db, default_language=args.language)
            return asyncio.run(chat(settings))
        if args.command == "migrate":
            from servicedesk.persistence.database import migrate

            settings = settings.with_overrides(db_url=args.db)
            revision = migrate(settings.db_url)
            print(f"database at revision {revision}")
            return 0
        if args.command == "knowledge" and args.knowledge_command == "check":
            return _check(args.path or settings.knowledge_dir)
        if args.command == "outbox":
            return asyncio.run(
                _outbox(settings.with_overrides(db_url=args.db), args.state, args.retry)
            )
        if args.command == "report":
            from frontoffice.report_command import run_report

            return run_report(settings.with_overrides(db_url=args.db), args)
        if args.command == "purge":
            from frontoffice.report_command import run_purge

            settings = settings.with_overrides(db_url=args.db, retention_days=args.days)
            return run_purge(settings, args.dry_run)
        if args.command == "notifications":
            return asyncio.run(
                _notifications(
                    settings.with_overrides(db_url=args.db), args.state, args.people, args.retry
                )
            )
        if args.command == "eval":
            return _eval(args.files, args.knowledge or settings.knowledge_dir, args.json)
        if args.command == "manifest" and args.manifest_command == "build":
            return _manifest_build(args)
    except FrontOfficeError as exc:
        print(f"frontoffice: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2 if args.command is None else 0


def _serve(settings: Settings) -> int:
    from aiohttp import web

    from bot.app import create_app
    from frontoffice.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    if settings.workers != 1:
        from frontoffice.cluster import run_cluster

        if settings.workers < 1:
            raise ConfigurationError("--workers must be at least 1")
        return run_cluster(settings)
    from frontoffice.cluster import die_with_parent, worker_index

    app = create_app(settings)
    worker = worker_index()
    if worker:  # one of run_cluster's workers: share the port, name ourselves
        die_with_parent()

        async def name_worker(_: web.Request, response: web.StreamResponse) -> None:
            response.headers["X-Worker"] = str(worker)

        app.on_response_prepare.append(name_worker)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log=None,
        print=lambda *_: None,
        reuse_port=bool(worker) or None,
    )
    return 0


def _check(path: Path) -> int:
    from knowledge.loader import check_knowledge

    knowledge, problems = check_knowledge(path)
    for problem in problems:
        print(problem)
    if knowledge is None:
        return 1
    faq = sum(len(p.faq) for p in knowledge.products.values())
    print(
        f"ok: {len(knowledge.products)} products, {faq} FAQ entries, "
        f"{len(knowledge.queues)} queues in {knowledge.source}",
        file=sys.stderr,
    )
    return 0


def _manifest_build(args: argparse.Namespace) -> int:
    from frontoffice import manifest

    options = manifest.options_from(
        {
            "bot_id": args.bot_id,
            "app_id": args.app_id,
            "version": args.app_version,
            "developer_name": args.developer_name,
            "website_url": args.website_url,
            "privacy_url": args.privacy_url,
            "terms_url": args.terms_url,
            "valid_domains": args.valid_domains,
            "accent_color": args.accent_color,
        }
    )
    out = args.out or Path(os.environ.get("FRONTOFFICE_MANIFEST_OUT") or manifest.DEFAULT_OUT)
    template_dir = args.template_dir or Path(
        os.environ.get("FRONTOFFICE_MANIFEST_TEMPLATE_DIR") or manifest.TEMPLATE_DIR
    )
    try:
        result = manifest.build(options, out, template_dir)
    except manifest.ManifestInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"frontoffice: the app package is not valid; {out} not written", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if result.schema_checked:
        checked = (
            f"valid against the official schema {manifest.SCHEMA_VERSION} "
            f"({manifest.NPM_PACKAGE} {manifest.npm_package_version()})"
        )
    else:
        checked = (
            "structural checks only: the official schema is not installed "
            "(npm ci --prefix manifest)"
        )
    print(
        f"wrote {out}: app {options.app_id} version {options.version}, "
        f"bot {options.bot_id}; {checked}"
    )
    return 0


async def _outbox(settings: Settings, state: str | None, retry: int | None) -> int:
    from servicedesk.persistence.database import create_engine
    from servicedesk.persistence.ticket_store import SqlTicketStore

    engine = create_engine(settings.db_url)
    store = SqlTicketStore(engine)
    try:
        if retry is not None:
            if not await store.requeue(retry):
                print(f"frontoffice: job {retry} is not a failed job", file=sys.stderr)
                return 1
            print(f"job {retry} is back in line")
            return 0
        rows = await store.outbox_rows(state)
    finally:
        engine.dispose()
    print(f"{'id':>5}  {'kind':8} {'ticket':16} {'state':8} {'tries':>5}  last error")
    for row in rows:
        error = (row["last_error"] or "").splitlines()[0][:60] if row["last_error"] else ""
        print(
            f"{row['id']:>5}  {row['kind']:8} {row['number']:16} {row['state']:8} "
            f"{row['attempts']:>5}  {error}"
        )
    return 0


async def _notifications(
    settings: Settings, state: str | None, people: bool, retry: int | None
) -> int:
    from servicedesk.persistence.database import create_engine
    from servicedesk.persistence.notification_store import SqlNotificationStore

    engine = create_engine(settings.db_url)
    store = SqlNotificationStore(engine)
    try:
        if retry is not None:
            if not await store.requeue(retry):
                print(
                    f"frontoffice: notification {retry} is not failed, unconfirmed or unreachable",
                    file=sys.stderr,
                )
                return 1
            print(f"notification {retry} is back in line")
            return 0
        if people:
            unreachable = await store.unreachable_people()
            print(f"{'recipient':40} {'reason':16} {'since':25} last seen")
            for person in unreachable:
                print(
                    f"{person['recipient_id']:40} {person['reason']:16} "
                    f"{person['since']:%Y-%m-%d %H:%M:%S%z}      {person['last_seen']:%Y-%m-%d %H:%M}"
                )
            return 0
        rows = await store.rows(state)
    finally:
        engine.dispose()
    print(
        f"{'id':>6}  {'kind':12} {'ticket':16} {'recipient':28} {'state':11} {'tries':>5}  "
        f"{'due':16}  last error"
    )
    for row in rows:
        error = (row["last_error"] or "").splitlines()[0][:50] if row["last_error"] else ""
        print(
            f"{row['id']:>6}  {row['kind']:12} {row['number']:16} {row['recipient'][:28]:28} "
            f"{row['state']:11} {row['attempts']:>5}  {row['due_at']:%Y-%m-%d %H:%M}  {error}"
        )
    return 0


EVAL_FILES = (
    Path("tests/data/queries.jsonl"),
    Path("tests/data/holdout_messages.jsonl"),
    Path("tests/data/holdout_conversations.jsonl"),
)


def _eval(files: list[Path], folder: Path, as_json: bool) -> int:
    from dialogs.evaluation import pipeline
    from knowledge.evaluation import misses, read_examples, run, summarise
    from knowledge.reload import build_snapshot

    files = files or [f for f in EVAL_FILES if f.exists()]
    if not files:
        raise InputError("no eval files given and none in tests/data")
    snapshot = build_snapshot(folder)
    results: dict[str, Any] = {}
    for file in files:
        if _is_conversations(file):
            from frontoffice import dialog_eval

            played = dialog_eval.run(file, folder)
            results[str(file)] = summary = dialog_eval.summarise(played)
            if not as_json:
                _print_conversations(file, summary, played)
            continue
        outcomes = run(pipeline(snapshot), read_examples(file))
        results[str(file)] = summary = summarise(outcomes)
        if not as_json:
            _print_messages(file, summary, misses(outcomes))
    if as_json:
        only = next(iter(results.values())) if len(results) == 1 else results
        print(json.dumps(only))
    return 0


def _is_conversations(file: Path) -> bool:
    with file.open(encoding="utf-8") as lines:
        first = next((line for line in lines if line.strip()), "{}")
    try:
        return "turns" in json.loads(first)
    except json.JSONDecodeError:
        return False


def _print_messages(file: Path, summary: dict[str, Any], wrong: list[Any]) -> None:
    print(f"== {file} (messages)")
    for key in (
        "n",
        "accuracy",
        "top3",
        "none_precision",
        "none_recall",
        "emergency_recall",
        "decision_accuracy",
    ):
        print(f"{key:18} {'n/a' if summary[key] is None else summary[key]}")
    for group in ("by_kind", "by_lang", "by_batch"):
        print(f"{group:18} " + "  ".join(f"{k}={v}" for k, v in summary[group].items()))
    if wrong:
        print(f"\nmisses ({len(wrong)}):")
        for outcome in wrong:
            expected = outcome.example.expect + (
                f"/{outcome.example.decision}" if outcome.example.decision else ""
            )
            print(
                f"  expect {expected:30} got {outcome.predicted}/{outcome.decision:10} "
                f"{outcome.example.text}"
            )
    print()


def _print_conversations(file: Path, summary: dict[str, Any], played: list[Any]) -> None:
    print(f"== {file} (conversations)")
    print(f"{'conversations':18} {summary['conversations']}")
    print(f"{'right':18} {summary['right']} ({summary['right_share']})")
    print(
        f"{'fields right':18} {summary['fields_right']} of {summary['fields']} "
        f"({summary['fields_share']})"
    )
    print(f"{'asked twice':18} {summary['asked_twice']}")
    print(f"{'right by batch':18} " + "  ".join(f"{k}={v}" for k, v in summary["by_batch"].items()))
    wrong = [p for p in played if not p.right]
    if wrong:
        print(f"\nmisses ({len(wrong)}):")
        for p in wrong:
            print(f"  {p.conversation.id}: {'; '.join(p.problems)}")
            for line in p.transcript:
                print(f"      {line[:160]}")
    print()


if __name__ == "__main__":
    sys.exit(main())
