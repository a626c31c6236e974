"""The store's migrations from the command line (no alembic.ini: the Config is built in code).

    python -m lib.store upgrade               # bring the configured store to the newest revision
    python -m lib.store current               # the revision the store is at, and the newest shipped
    python -m lib.store revision -m "sessions"  # autogenerate versions/000N_sessions.py from the models

``revision`` compares the models with a scratch SQLite database migrated to head, so it never
touches your data; review the generated file before committing it.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from alembic import command

    from . import db

    parser = argparse.ArgumentParser(prog="python -m lib.store", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("upgrade", help="migrate the configured store to head")
    sub.add_parser("current", help="show the store's revision")
    rev = sub.add_parser("revision", help="autogenerate a migration from the models")
    rev.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)

    try:
        if args.cmd in ("upgrade", "current"):
            eng = db.engine()  # migrates on first use
            url = eng.url.render_as_string(hide_password=True)
            print(f"{url}: at {db.current_revision(eng)} (newest shipped: {db.head_revision()})")
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
        print(f"wrote {script.path if script and not isinstance(script, list) else script}")
        return 0
    except db.StoreError as e:
        print(f"store: {e} (set by HUBSCOUT_DATABASE_URL / HUBSCOUT_DATA_DIR)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
