"""The store's migrations from the command line (no alembic.ini: the Config is built in code).

    python -m lib.store upgrade               # bring the configured store to the newest revision
    python -m lib.store current               # the revision the store is at, and the newest shipped
    python -m lib.store revision -m "sessions"  # autogenerate versions/000N_sessions.py from the models

``revision`` compares the models with a scratch SQLite database migrated to head, so it never
touches your data; review the generated file before committing it.

What it prints for people follows the environment's language (``LC_ALL``, else ``LC_MESSAGES``, else ``LANG``:
``es_ES.UTF-8`` -> Spanish; anything else, English); the argparse help stays English.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from lib import i18n
from lib.i18n import _
from lib.settings import environment_language


def main(argv: list[str] | None = None) -> int:
    with i18n.scope(environment_language()):
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    from alembic import command

    from . import db

    parser = argparse.ArgumentParser(prog="python -m lib.store", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("upgrade", help="migrate the configured store to head")  # i18n: argparse help stays English
    sub.add_parser("current", help="show the store's revision")  # i18n: argparse help stays English
    rev = sub.add_parser("revision", help="autogenerate a migration from the models")  # i18n: argparse help
    rev.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)

    try:
        if args.cmd in ("upgrade", "current"):
            eng = db.engine()  # migrates on first use
            url = eng.url.render_as_string(hide_password=True)
            print(_("{url}: at {revision} (newest shipped: {head})").format(
                url=url, revision=db.current_revision(eng), head=db.head_revision()))
            return 0
        head = db.head_revision()
        next_id = f"{int(head or 0) + 1:04d}"
        with tempfile.TemporaryDirectory() as tmp:
            eng = db._create(f"sqlite:///{Path(tmp) / 'scratch.db'}")
            db.migrate(eng)
            with eng.connect() as conn:
                script = command.revision(db._alembic_config(conn), message=args.message, autogenerate=True,
                                          rev_id=next_id)
            eng.dispose()
        print(_("wrote {path}").format(path=script.path if script and not isinstance(script, list) else script))
        return 0
    except db.StoreError as e:
        print(_("store: {error} (set by HUBSCOUT_DATABASE_URL / HUBSCOUT_DATA_DIR)").format(error=e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
