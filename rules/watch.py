"""Watching a folder for edits: the file fingerprint and the polling thread that the rule store
and the rate card store share (each decides for itself what a reload means)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Collection
    from pathlib import Path

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(directory: Path, suffixes: Collection[str]) -> Fingerprint:
    """(name, mtime_ns, size) of every file with one of `suffixes`, sorted by name; () when the
    folder cannot be read (a reload then reports what is wrong)."""
    out: list[tuple[str, int, int]] = []
    try:
        for file in sorted(directory.iterdir()):
            if file.suffix in suffixes and file.is_file():
                st = file.stat()
                out.append((file.name, st.st_mtime_ns, st.st_size))
    except OSError:
        return ()
    return tuple(out)


class Poller:
    """Calls `tick` every `interval_s` seconds on a daemon thread until `stop`.

    `tick` handles its own errors; one that escapes anyway is logged and polling goes on (a
    dead poller would silently stop every later edit from loading).
    """

    def __init__(self, tick: Callable[[], None], interval_s: float, name: str) -> None:
        if not interval_s > 0:
            raise ValueError("Expected interval_s > 0")
        self.interval_s = interval_s
        self._tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._tick()
            except Exception:
                log.exception("%s: tick failed; polling goes on", self._thread.name)

    def stop(self) -> None:
        """Stop polling and wait for a tick in progress (not when called from the tick)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=max(5.0, 2 * self.interval_s))
