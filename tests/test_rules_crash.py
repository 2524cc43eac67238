"""Regressions for durable-rules' crash patterns, each in a subprocess so a segfault fails the
test instead of killing pytest; and memory that stays flat over 100,000 orders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRELUDE = """
import json, os, sys, threading, time
from pathlib import Path
from rules.api import build, read_dir
files, _ = read_dir(Path("rules/tables"))
rules, report = build(files, tests=False)
assert rules is not None, report.lines()
"""


def _run(body: str, timeout_s: float = 120.0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"}
    code = PRELUDE + textwrap.dedent(body)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def test_facts_matching_no_row_do_not_crash_delete_state() -> None:
    """Facts no author row matches still start an action (the catch-all) before delete_state."""
    _run(
        """
        for group in rules.plan.groups:
            ids, hits, acts = rules._run(group.k, [""] * 2500, 1000)
            assert acts == 2500 and len(hits) == 0  # only the catch-all fired
        from rules.build import OrderSpec, snapshot_of
        snap = snapshot_of([OrderSpec(str(i), deadline_ts=10**10) for i in range(50)], [],
                           now_ts=10**9)
        for _ in range(20):
            rules.evaluate(snap)
        rules.retire()
        print("ok")
        """
    )


def test_more_than_1024_sequential_sessions_on_one_handle() -> None:
    """Every session is deleted before the next: thousands of sids on one ruleset are fine."""
    _run(
        """
        rules._run(1, [""] * 1500, 1)  # 1,500 sessions of one fact each
        from rules.build import OrderSpec, berlin_carriers, snapshot_of
        snap = snapshot_of([OrderSpec("a", deadline_ts=10**10, tags=("alcohol",))],
                           berlin_carriers(), now_ts=10**9)
        for _ in range(300):
            rules.evaluate(snap)
        assert rules.sessions > 2000, rules.sessions
        rules.retire()
        print("sessions", rules.sessions)
        """
    )


def test_reload_during_load() -> None:
    """Threads evaluate while the store swaps and deletes handles underneath them."""
    _run(
        """
        import shutil, tempfile
        from rules.store import RuleStore
        from bench.rules import synthetic
        rules.retire()
        tmp = Path(tempfile.mkdtemp()) / "rules" / "tables"
        shutil.copytree("rules/tables", tmp)
        path = tmp / "requirements.yaml"
        a = path.read_text()
        b = a.replace("Furniture and orders over 40 kg need two people.", "Two people.")
        store = RuleStore(tmp, poll_interval_s=0)
        snap = synthetic(200, 0.5, seed=5)
        stop = threading.Event()
        done = [0, 0, 0]
        errors = []
        def work(k):
            while not stop.is_set():
                try:
                    with store.current() as r:
                        r.evaluate(snap)
                    done[k] += 1
                except Exception as exc:
                    errors.append(repr(exc))
        threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for i in range(6):
            path.write_text(b if i % 2 == 0 else a)
            assert store.reload(force=True), store.status().last_error
        stop.set()
        for t in threads:
            t.join()
        store.close()
        assert not errors, errors
        assert min(done) > 0, done
        print("calls", done, "reloads", store.status().reloads)
        """
    )


def test_memory_stays_flat_over_100k_orders() -> None:
    """RSS over the last 20,000 of 100,000 evaluated orders stays within a few MB of RSS over
    orders 10,000-30,000. Peaks of a window, not single readings: the allocator hands memory
    back now and then, and a dip in the early reading would read as growth; a leak of 100 bytes
    per order would still add 7 MB."""
    result = _run(
        """
        from bench.rules import synthetic
        def rss_kb():
            for line in open("/proc/self/status"):
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        snaps = [synthetic(1000, 0.5, seed=s) for s in range(10)]
        marks = {}
        for batch in range(100):
            rules.evaluate(snaps[batch % 10])
            marks[batch] = rss_kb()
        print(json.dumps(marks))
        """,
        timeout_s=240,
    )
    marks = {int(k): v for k, v in json.loads(result.stdout.strip().splitlines()[-1]).items()}
    early = max(marks[b] for b in range(10, 30))
    late = max(marks[b] for b in range(80, 100))
    grown_kb = late - early
    assert grown_kb < 5 * 1024, f"RSS grew by {grown_kb} kB over about 70,000 orders"
