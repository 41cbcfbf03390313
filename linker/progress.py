"""How a run reports itself while it works: progress callbacks, the terminal status line
(``Heartbeat``, shown by ``show_progress``'s rule) and wall time per stage."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

T = TypeVar("T")
# progress(items, description, total) -> the same items, perhaps wrapped in a progress bar
Progress = Callable[[Iterable[T], str, int], Iterable[T]]


def no_progress(items: Iterable[T], description: str, total: int) -> Iterable[T]:
    return items


class Timer:
    """Wall time per stage, in seconds."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 3)


MIN_SECONDS = 2.0  # a run shorter than this shows no progress at all
REFRESH_SECONDS = 0.5


def show_progress(quiet: bool, is_tty: bool) -> bool:
    """Whether to show progress: on a terminal only, and never when asked to be quiet (a
    pipe, a log file or CI gets the messages, never the redrawn line)."""
    return is_tty and not quiet


class Heartbeat:
    """One status line on a terminal, redrawn from a background thread: the stage, its items
    done, the time elapsed. Nothing appears before ``min_seconds``, so a quick run prints no
    line, and a stage of one long step (EM, clustering) still shows the clock moving.

    ``progress`` is a ``Progress`` callback: it names the stage and counts its items.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        min_seconds: float = MIN_SECONDS,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.min_seconds = min_seconds
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self.start = clock()
        self.stage = "starting"
        self.done = 0
        self.total = 0
        self._shown = 0  # width of the line on screen
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def line(self, now: float) -> str | None:
        """The status line at time ``now``; None while the run is younger than
        ``min_seconds``."""
        elapsed = now - self.start
        if elapsed < self.min_seconds:
            return None
        count = f" {self.done}/{self.total}" if self.total > 1 else ""
        return f"linker: {self.stage}{count}, {elapsed:.0f} s"

    def progress(self, items: Iterable[T], description: str, total: int) -> Iterator[T]:
        with self._lock:
            self.stage, self.done, self.total = description, 0, total
        for item in items:
            yield item
            with self._lock:
                self.done += 1

    def _draw(self) -> None:
        with self._lock:
            text = self.line(self.clock())
            if text is None:
                return
            padding = " " * max(0, self._shown - len(text))
            self.stream.write(f"\r{text}{padding}")
            self.stream.flush()
            self._shown = len(text)

    def clear(self) -> None:
        """Remove the status line (at the end)."""
        with self._lock:
            self._erase()

    def message(self, text: str) -> None:
        """Print ``text`` on a line of its own; the status line is redrawn below it later."""
        with self._lock:
            self._erase()
            print(text, file=self.stream, flush=True)

    def _erase(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0

    def _loop(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            self._draw()

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._loop, name="linker-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.clear()
