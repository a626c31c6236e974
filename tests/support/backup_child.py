"""A Hub Scout process for the restart tests (tests/test_sessions_backup.py), configured by its environment
(``HUBSCOUT_DATA_DIR``, ``HUBSCOUT_DATABASE_URL``, ``HUBSCOUT_BACKUP_REPO``, ``HF_ENDPOINT``, ``HF_TOKEN``).

``python -m tests.support.backup_child vote``: creates a session, casts votes from three raters, waits until
the backup (when configured) has pushed them, prints ``{"id", "votes", "pushed_at"}`` as one JSON line and
then waits to be killed (SIGKILL: no atexit push, no clean shutdown). ``quit``: the same votes, printed, and
a normal exit at once (before the debounced write: the exit handlers write and push them).

``python -m tests.support.backup_child show``: starts the backup (when configured: the restore of an empty
store), waits until it is on, prints ``{"sessions": [{"id", "name", "votes", "status"}]}`` and exits.
"""
from __future__ import annotations

import json
import sys
import time

from lib.sessions import backup, store

DEADLINE_S = 60.0


def _wait(pred, what: str) -> None:
    end = time.monotonic() + DEADLINE_S
    while not pred():
        if time.monotonic() > end:
            print(json.dumps({"error": f"timed out waiting for {what}: {backup.status()}"}), flush=True)
            sys.exit(3)
        time.sleep(0.05)


def vote(then_exit: bool = False) -> None:
    backup.DEBOUNCE_S, backup.MIN_PUSH_GAP_S = 0.2, 0.5  # a test's patience, not a Space's
    configured = backup.ensure_started().state != "off"
    if configured:
        _wait(lambda: backup.status().state == "on", "the backup to start")
    info = store.create_session("Restart test", "text-classification", ["org/alpha", "org/beta", "org/gamma"],
                                [{"text": f"sentence {n}"} for n in range(1, 5)], {"dtype": "float32"})
    for inp in ("i1", "i2", "i3", "i4"):
        for left, right in (("c1", "c2"), ("c2", "c3")):
            store.record_output(info.id, left, inp, output={"label": "POSITIVE"})
            store.record_output(info.id, right, inp, output={"label": "NEGATIVE"})
    for rater, choice in (("ana", "left"), ("bo", "right"), ("cy", "tie")):
        for inp in ("i1", "i2", "i3"):
            store.cast_vote(info.id, rater, inp, "c1", "c2", choice)
            store.cast_vote(info.id, rater, inp, "c3", "c2", "both_bad" if inp == "i3" else choice)
    if then_exit:  # a clean exit right after the votes: the atexit handlers write and push them
        print(json.dumps({"id": info.id, "votes": store.votes(info.id)}), flush=True)
        return
    pushed = None
    if configured:  # the scheduler pushes after the burst of writes (no explicit sync here)
        _wait(lambda: (s := backup.status()).last_push is not None and not s.pending, "the push")
        pushed = backup.status().last_push.isoformat()
    print(json.dumps({"id": info.id, "votes": store.votes(info.id), "pushed_at": pushed,
                      "status": repr(backup.status())}), flush=True)
    while True:
        time.sleep(60)


def show() -> None:
    status = backup.ensure_started()
    if status.state != "off":
        _wait(lambda: backup.status().state in ("on", "failed"), "the restore")
    out = [{"id": s.id, "name": s.name, "votes": store.votes(s.id)} for s in store.list_sessions()]
    st = backup.status()
    print(json.dumps({"sessions": out, "status": {"state": st.state, "restored": st.restored,
                                                  "reason": st.reason}}), flush=True)


if __name__ == "__main__":
    {"vote": vote, "quit": lambda: vote(then_exit=True), "show": show}[sys.argv[1]]()
