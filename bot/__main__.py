"""`python -m bot`: run the bot (Slack or console), or seed, export and say."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING

from bot.settings import ConfigError, Mode, Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

# A command imports what it uses when it runs: `say` and `export` must not pay for Slack's
# libraries, the seed loader or Alembic (benchmarks/coldstart.py).

logger = logging.getLogger("bot")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-23") from None


def build_parser() -> argparse.ArgumentParser:
    """The command line: `run` is the default subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Slack bot for a safeguarding children board's business plan.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "run", help="start the bot: Socket Mode or HTTP with Slack tokens, else the local console"
    )
    console = sub.add_parser("console", help="talk to the bot in this terminal")
    console.add_argument("--board", help="board code or name to start on")
    console.add_argument("--user", default="UCONSOLE", help="Slack user id to act as")
    console.add_argument("--today", type=_iso_date, help="pretend today is YYYY-MM-DD")

    say = sub.add_parser("say", help="send one message as a user and print the reply")
    say.add_argument("--board", required=True, help="board code or name (case-insensitive)")
    say.add_argument("--user", required=True, help="Slack user id, e.g. U012ABCDEF")
    say.add_argument("--channel", help="answer as if in this channel (default: a DM)")
    say.add_argument("--today", type=_iso_date, help="pretend today is YYYY-MM-DD")
    say.add_argument("--json", action="store_true", help="print {text, blocks, actions} as JSON")
    say.add_argument("text", help="what the user types, e.g. 'overview' or '/lscb help'")

    seed = sub.add_parser("seed", help="load or update the plans in seed/plans/")
    seed.add_argument("--dir", help="folder of plan files (default: seed/plans)")
    seed.add_argument(
        "--replace",
        action="store_true",
        help="let a file take over a board code that another file or an import defines",
    )

    digest = sub.add_parser("digest", help="post the weekly digests and nudges that are due")
    digest.add_argument("--board", help="only this board (code or name)")
    digest.add_argument("--channel", help="only this channel id")
    digest.add_argument("--dry-run", action="store_true", help="print the digests, post nothing")
    digest.add_argument("--as-of", type=_iso_date, help="run as if it were the end of YYYY-MM-DD")

    sub.add_parser(
        "migrate", help="bring the database schema up to date (seeding an empty database)"
    )

    export = sub.add_parser("export", help="write a board's plan as JSON or CSV to stdout")
    export.add_argument("--board", required=True, help="board code or name (case-insensitive)")
    export.add_argument("--format", choices=("json", "csv"), default="json")

    imp = sub.add_parser("import", help="load a board's plan from a CSV or XLSX spreadsheet")
    imp.add_argument("file", help="the plan: FILE.csv or FILE.xlsx (see seed/FORMAT.md)")
    imp.add_argument("--board", required=True, help="the board's code, e.g. STSCB")
    imp.add_argument("--name", help="the board's name (a new board: defaults to the code)")
    imp.add_argument("--dry-run", action="store_true", help="say what would change, save nothing")
    imp.add_argument(
        "--replace",
        action="store_true",
        help="take over a board that a seed file or another source defines",
    )

    report = sub.add_parser("report", help="a board's progress report for a quarter")
    report.add_argument("--board", required=True, help="board code or name (case-insensitive)")
    report.add_argument("--quarter", help="e.g. 2018Q3: Q3 of the 2018-19 plan year (default: now)")
    report.add_argument("--from", dest="start", type=_iso_date, help="period start, YYYY-MM-DD")
    report.add_argument("--to", dest="end", type=_iso_date, help="period end, YYYY-MM-DD")
    report.add_argument("--format", choices=("md", "xlsx", "pdf"), default="md")
    report.add_argument("--output", help="write to this file instead of standard output")
    report.add_argument(
        "--lock", action="store_true", help="keep this report as the period's record"
    )

    backup = sub.add_parser("backup", help="write every table to FILE as JSON")
    backup.add_argument("file", help="where to write the backup, e.g. lscb-backup.json")
    restore = sub.add_parser("restore", help="load a backup written by `backup`")
    restore.add_argument("file", help="the backup file")
    restore.add_argument(
        "--force", action="store_true", help="replace everything in a database that is not empty"
    )
    return parser


def _dotenv_candidates(start: str) -> Iterator[str]:
    """`.env` in `start` and each folder above it."""
    here = os.path.abspath(start)
    while True:
        yield os.path.join(here, ".env")
        parent = os.path.dirname(here)
        if parent == here:
            return
        here = parent


def _load_dotenv() -> None:
    """python-dotenv's `load_dotenv()`, imported only when there is a `.env` it could find.

    It looks from this file's folder up (or from the working directory under a debugger or
    REPL); when neither path holds one there is nothing to load, and nothing to import.
    """
    starts = (os.path.dirname(os.path.abspath(__file__)), os.getcwd())
    if any(os.path.exists(path) for start in starts for path in _dotenv_candidates(start)):
        from dotenv import load_dotenv

        load_dotenv()


def _seed_error(exc: Exception) -> bool:
    """Whether `exc` is the seed loader's SeedError (never, unless the loader was imported)."""
    loader = sys.modules.get("seed.loader")
    return loader is not None and isinstance(exc, loader.SeedError)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    _load_dotenv()
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    try:
        # Only a running bot needs a working pair of Slack tokens; one-shot commands check shapes.
        settings = Settings.from_env(serving=command == "run")
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    quiet = command in ("say", "export", "console", "seed", "digest", "migrate") + (
        "import",
        "backup",
        "restore",
        "report",
    ) or (command == "run" and settings.mode is Mode.CONSOLE)
    logging.basicConfig(
        level=logging.WARNING if quiet else settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Slack's libraries log payloads (notes included) at DEBUG, and bodies of forged requests at
    # INFO: cut them out at their loggers and, for loggers made later, at the handlers too.
    from bot.logsafe import protect_handlers, protect_slack_logs

    protect_slack_logs()
    protect_handlers()

    # Imported here so `--help` and config errors stay fast and dependency-light.
    from bot.runtime import open_store
    from store.queries import UnknownBoard

    try:
        if command == "seed":
            return _seed(settings, args.dir, replace=args.replace)
        if command in ("backup", "restore"):
            return _backup_or_restore(settings, args)
        if command == "migrate":
            return _migrate(settings)
        engine = open_store(settings)
        if command == "export":
            from sqlmodel import Session

            from bot.export import export_board

            with Session(engine) as session:
                out = export_board(session, args.board, args.format)
            # Bytes, not text: the CSV's byte-order mark must survive a non-UTF-8 locale.
            sys.stdout.flush()
            sys.stdout.buffer.write(out.encode("utf-8"))
            return 0
        if command == "import":
            return _import(engine, args)
        if command == "report":
            return _report(engine, args)
        if command == "say":
            return _say(settings, engine, args)
        if command == "digest":
            return _digest(settings, engine, args)
        if command == "console" or settings.mode is Mode.CONSOLE:
            from bot.console import run_console

            board = getattr(args, "board", None)
            return run_console(
                settings,
                engine,
                board=board,
                user=getattr(args, "user", "UCONSOLE"),
                today=getattr(args, "today", None),
            )
        return _run_slack(settings, engine)
    except UnknownBoard as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except Exception as exc:
        if not _seed_error(exc):
            raise
        print(str(exc), file=sys.stderr)
        return 2


def _seed(settings: Settings, directory: str | None, *, replace: bool = False) -> int:
    from pathlib import Path

    from bot.runtime import open_store
    from seed.loader import PLANS_DIR, load_all

    engine = open_store(settings, seed_if_empty=False)
    results = load_all(engine, Path(directory) if directory else PLANS_DIR, replace=replace)
    print(f"{'board':<7} {'priorities':>10} {'work streams':>12} {'actions':>8}  changes")
    for r in results:
        changes = ", ".join(f"{n} rows {k}" for k, n in r.changes.items() if n) or "no changes"
        print(f"{r.board:<7} {r.priorities:>10} {r.workstreams:>12} {r.actions:>8}  {changes}")
    return 0


def _migrate(settings: Settings) -> int:
    from bot.health import schema_revisions
    from bot.runtime import open_store

    engine = open_store(settings)
    current, _ = schema_revisions(engine)
    print(f"database schema at revision {current}")
    return 0


def _report(engine: Engine, args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from bot.report import ReportError, make_report, render
    from store.queries import find_board

    if args.quarter and (args.start or args.end):
        print("Give --quarter or --from/--to, not both.", file=sys.stderr)
        return 2
    try:
        with Session(engine) as session:
            board = find_board(session, args.board)
            report = make_report(
                session,
                board,
                quarter=args.quarter,
                start=args.start,
                end=args.end,
                lock=args.lock,
            )
    except ReportError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    data = render(report, args.format)
    if args.output:
        with open(args.output, "wb") as out:
            out.write(data)
        print(f"wrote {args.output}: {report.label}, {len(report.lines)} actions")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
    return 0


def _backup_or_restore(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot import backup
    from bot.runtime import open_store

    # Never seed here: a restore needs the empty database to stay empty.
    engine = open_store(settings, seed_if_empty=False)
    path = Path(args.file)
    if args.command == "backup":
        doc = backup.backup(engine)
        path.write_text(backup.dumps(doc), encoding="utf-8")
        rows = sum(len(rows) for rows in doc["tables"].values())
        print(f"wrote {path}: {rows} rows from {len(doc['tables'])} tables")
        return 0
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"Can't read {path}: {exc}", file=sys.stderr)
        return 2
    try:
        counts = backup.restore(engine, doc, name=path.name, force=args.force)
    except backup.RestoreRefused as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"restored {path}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    return 0


def _import(engine: Engine, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.importer import InvalidFile, import_file

    path = Path(args.file)
    if not path.is_file():
        print(f"No such file: {path}", file=sys.stderr)
        return 2
    try:
        preview = import_file(
            engine, path, args.board, name=args.name, dry_run=args.dry_run, replace=args.replace
        )
    except InvalidFile as exc:
        count = len(exc.problems)
        print(f"{path.name}: nothing was imported; {count} problem(s) to fix:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    print("\n".join(preview.lines()))
    return 0


def _say(settings: Settings, engine: Engine, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.conversation import respond
    from bot.render import plain_text, save_files

    reply, ctx = respond(
        engine,
        user_id=args.user,
        text=args.text,
        board_name=args.board,
        channel_id=args.channel,
        today=args.today,
        admin_ids=settings.admin_user_ids,
    )
    # Files (an export, a report) go where Slack would upload them: here, the current directory.
    saved = save_files(reply.files, Path.cwd())
    if args.json:
        doc = reply.to_json(ctx.today)
        if saved:  # only then: the documented shape is {text, blocks, actions}
            pairs = zip(reply.files, saved, strict=True)
            doc["files"] = [{"filename": f.filename, "path": str(path)} for f, path in pairs]
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(plain_text(reply))
        for attachment, path in zip(reply.files, saved, strict=True):
            print(f"Saved {attachment.title}: {path}")
    return 0


def _digest(settings: Settings, engine: Engine, args: argparse.Namespace) -> int:
    from datetime import datetime, time, timedelta

    from bot.app import make_client
    from bot.clock import LONDON, now_utc
    from bot.digest import LATE_START, run_digests
    from bot.render import plain_text

    if not args.dry_run and not settings.slack_bot_token:
        print(
            "Posting digests needs SLACK_BOT_TOKEN; use --dry-run to preview them.", file=sys.stderr
        )
        return 2
    now = now_utc()
    if args.as_of:
        now = datetime.combine(args.as_of, time(23, 59), tzinfo=LONDON)
    report = run_digests(
        engine,
        None if args.dry_run else make_client(settings),
        now=now,
        admin_ids=settings.admin_user_ids,
        board_name=args.board,
        channel=args.channel,
        dry_run=args.dry_run,
        lease=timedelta(seconds=settings.digest_lease_seconds),
        timeout=settings.slack_timeout_seconds,
        claim_clock=now_utc,
        late_after=None if args.as_of else LATE_START,  # --as-of: that week's run, late or not
    )
    if args.dry_run:
        for label, reply in report.previews:
            print(f"===== {label} =====")
            sys.stdout.write(plain_text(reply))
        if not report.previews:
            print("Nothing to preview: no board or channel matched.")
        return 0
    print(
        f"posted {len(report.posted)}, already done {len(report.skipped)}, "
        f"failed {len(report.failed)}"
    )
    for label, error in report.failed:
        print(f"  failed {label}: {error}")
    return 1 if report.failed else 0


def _run_slack(settings: Settings, engine: Engine) -> int:
    from datetime import timedelta

    from bot.app import create_app
    from bot.scheduler import DigestScheduler

    app = create_app(settings, engine)
    from bot.runtime import warm_in_background

    warm_in_background(engine)  # every board's views and search index, then gc.freeze()
    scheduler = DigestScheduler(
        engine,
        app.client,
        settings.admin_user_ids,
        lease=timedelta(seconds=settings.digest_lease_seconds),
        timeout=settings.slack_timeout_seconds,
    )
    if settings.mode is Mode.SOCKET:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        scheduler.start()
        logger.info("connecting to Slack over Socket Mode")
        SocketModeHandler(app, settings.slack_app_token).start()
    else:
        # HTTP mode: Slack's requests go to the `web` processes (gunicorn, see Procfile);
        # this worker only runs the scheduled digests, so they are posted by one process.
        logger.info("HTTP mode: Slack requests go to the web process; running digests only")
        scheduler.run_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
