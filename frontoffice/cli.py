"""The ``frontoffice`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from frontoffice import __version__
from frontoffice.settings import Settings
from servicedesk.errors import FrontOfficeError


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
    serve.add_argument("--port", type=int, help="port to listen on (FRONTOFFICE_PORT)")
    serve.add_argument("--db", help="database URL (FRONTOFFICE_DB_URL)")

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

    evaluate = commands.add_parser(
        "eval",
        help="measure the matcher on labelled messages",
        description="Measure the matcher on a JSONL file of {text, expect, lang, kind}.",
    )
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--knowledge", type=Path, help="knowledge folder to evaluate")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            return _serve(settings.with_overrides(host=args.host, port=args.port, db_url=args.db))
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
        if args.command == "eval":
            return _eval(args.file, args.knowledge or settings.knowledge_dir, args.json)
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
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=None,
        print=lambda *_: None,
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


def _eval(file: Path, folder: Path, as_json: bool) -> int:
    from knowledge.evaluation import misses, read_examples, run, summarise
    from knowledge.reload import build_snapshot

    snapshot = build_snapshot(folder)
    outcomes = run(snapshot.matcher, read_examples(file))
    summary = summarise(outcomes)
    if as_json:
        print(json.dumps(summary))
        return 0
    for key in ("n", "accuracy", "top3", "none_precision", "none_recall"):
        print(f"{key:15} {summary[key]}")
    for group in ("by_kind", "by_lang"):
        print(f"{group:15} " + "  ".join(f"{k}={v}" for k, v in summary[group].items()))
    wrong = misses(outcomes)
    if wrong:
        print(f"\nmisses ({len(wrong)}):")
        for outcome in wrong:
            print(
                f"  expect {outcome.example.expect:28} got {outcome.predicted:28} "
                f"{outcome.example.text}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
