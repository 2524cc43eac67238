"""Hot-reloaded rule sets: load, validate, test, compile, swap atomically, keep the last good one.

A request takes `store.current()` once (a lease) and evaluates with it; a swap only replaces the
reference, and the old durable-rules handle is deleted when its last lease is released. A broken
edit never replaces what is serving: its errors are kept in `status().last_error` until a good
edit arrives. The poll thread is a daemon and stops with `close()`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rules.api import RULE_SUFFIXES, build, read_dir
from rules.engine import CompiledRules, EngineError, Lease, check_attributes
from rules.model import Issue
from rules.validate import content_version
from rules.watch import Poller, fingerprint

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from solver.snapshot import Snapshot

log = logging.getLogger(__name__)


class RulesInvalidError(Exception):
    """The rule files could not be loaded; `lines` holds every problem as `file:line: ...`."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("invalid rules:\n" + "\n".join(lines))
        self.lines = lines


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """What the store serves and what went wrong last, for health checks and logs."""

    directory: str
    version: str  # serving rules version (content hash)
    loaded_at: float  # epoch seconds of the serving version's load
    last_checked_at: float
    last_error: tuple[str, ...]  # problems of the last rejected edit; empty after a good load
    last_issues: tuple[Issue, ...]  # the same problems, structured (file, line, where, message)
    last_error_at: float  # 0 = never
    rejected_version: str  # content hash of the last rejected edit
    reloads: int  # successful swaps after the first load
    failures: int  # rejected edits
    tests_passed: int  # test cases of the serving version


class RuleStore:
    """Rules of one directory, compiled and hot-reloaded.

    Parameters
    ----------
    directory
        Where the rule files are (e.g. rules/tables).
    poll_interval_s
        How often the background thread looks for edits; 0 = no thread (call `reload()`).
    on_event
        Called with ("reloaded" | "rejected", status) after a swap or a newly rejected edit
        (from the poll thread; exceptions are swallowed), e.g. to write a log line.

    Raises
    ------
    RulesInvalidError
        When the files are invalid or their tests fail at start: there is nothing to serve.
    """

    def __init__(
        self,
        directory: str | Path,
        poll_interval_s: float = 1.0,
        on_event: Callable[[str, StoreStatus], None] | None = None,
    ) -> None:
        if poll_interval_s < 0:
            raise ValueError("Expected poll_interval_s >= 0")
        self.directory = Path(directory)
        self.poll_interval_s = poll_interval_s
        self._on_event = on_event
        self._lock = threading.Lock()  # guards _current and the status fields
        self._reload_lock = threading.Lock()  # one reload at a time
        self._fingerprint = fingerprint(self.directory, RULE_SUFFIXES)
        files, issues = read_dir(self.directory)
        if issues:
            raise RulesInvalidError([str(i) for i in issues])
        compiled, report = build(files)
        if compiled is None:
            raise RulesInvalidError(report.lines())
        now = time.time()
        self._current: CompiledRules = compiled
        self._loaded_at = now
        self._checked_at = now
        self._last_error: tuple[Issue, ...] = ()
        self._last_error_at = 0.0
        self._rejected = ""
        self._reloads = 0
        self._failures = 0
        self._tests_passed = len(report.tests)
        self._poller = (
            Poller(self._poll, poll_interval_s, f"rules-poll:{self.directory}")
            if poll_interval_s > 0
            else None
        )

    # --- serving -------------------------------------------------------------------------------

    def current(self) -> Lease:
        """A lease on the serving rules: `with store.current() as rules: rules.evaluate(s)`.

        Raises
        ------
        EngineError
            When the store is closed.
        """
        with self._lock:
            return self._current.acquire()

    @property
    def version(self) -> str:
        return self._current.version

    def check_order_attributes(self, snapshot: Snapshot) -> list[tuple[int, str, str]]:
        """(order_idx, key, message) for attributes the serving schema rejects."""
        with self.current() as rules:
            return check_attributes(snapshot, rules.ruleset)

    def status(self) -> StoreStatus:
        """Serving version, load time and the last rejected edit's problems."""
        with self._lock:
            return StoreStatus(
                directory=str(self.directory),
                version=self._current.version,
                loaded_at=self._loaded_at,
                last_checked_at=self._checked_at,
                last_error=tuple(str(i) for i in self._last_error),
                last_issues=self._last_error,
                last_error_at=self._last_error_at,
                rejected_version=self._rejected,
                reloads=self._reloads,
                failures=self._failures,
                tests_passed=self._tests_passed,
            )

    # --- reloading -----------------------------------------------------------------------------

    def reload(self, *, force: bool = False) -> bool:
        """Look at the files now; swap in a new version if it changed and passes everything.

        Parameters
        ----------
        force
            Re-read and re-hash even when no mtime or size changed.

        Returns
        -------
        bool
            True when a new version is now serving.
        """
        with self._reload_lock:
            seen = fingerprint(self.directory, RULE_SUFFIXES)
            with self._lock:
                self._checked_at = time.time()
                broken = self._current.broken
                serving = self._current.version
                retry = bool(self._last_error)
            if seen == self._fingerprint and not (force or broken or retry):
                return False
            self._fingerprint = seen
            files, issues = read_dir(self.directory)
            version = content_version(files) if files else ""
            if not issues and version == serving and not broken:
                self._clear_error()
                return False
            if issues:
                self._reject(version, tuple(issues))
                return False
            with self._lock:
                if version == self._rejected and not force:
                    return False
            compiled, report = build(files)
            if compiled is None:
                self._reject(version, report.problems())
                return False
            self._swap(compiled, len(report.tests))
            return True

    def _clear_error(self) -> None:
        with self._lock:
            self._last_error = ()

    def _reject(self, version: str, issues: tuple[Issue, ...]) -> None:
        with self._lock:
            repeated = issues == self._last_error and version == self._rejected
            self._last_error = issues
            self._last_error_at = time.time()
            self._rejected = version
            if repeated:  # the same broken state seen again (e.g. a missing directory)
                return
            self._failures += 1
        if self._on_event is None:
            lines = [str(i) for i in issues]
            log.warning("rules %s rejected, still serving %s: %s", version, self.version, lines[:5])
        self._notify("rejected")

    def _notify(self, event: str) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event, self.status())
        except Exception:  # a logging hook must never stop reloads
            log.exception("rules on_event hook failed")

    def _swap(self, compiled: CompiledRules, tests: int) -> None:
        with self._lock:
            old = self._current
            self._current = compiled
            self._loaded_at = time.time()
            self._last_error = ()
            self._rejected = ""
            self._reloads += 1
            self._tests_passed = tests
        if self._on_event is None:
            log.info("rules %s serving (was %s)", compiled.version, old.version)
        old.retire()
        self._notify("reloaded")

    def _poll(self) -> None:
        try:
            self.reload()
        except (EngineError, OSError, ValueError, RuntimeError) as exc:
            self._reject("", (Issue(str(self.directory), 0, "", f"reload failed: {exc}"),))
        except Exception as exc:  # our bug, not the author's: say so, keep the last good
            log.exception("rules reload failed")
            why = f"reload failed (internal error, see the server log): {exc!r}"
            self._reject("", (Issue(str(self.directory), 0, "", why),))

    # --- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop polling and delete the serving handle once its last lease is released."""
        if self._poller is not None:
            self._poller.stop()
        with self._reload_lock, self._lock:
            self._current.retire()

    def __enter__(self) -> RuleStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
