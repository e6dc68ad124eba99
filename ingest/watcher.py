"""Watches the inbox and takes complete files into the queue.

A file is complete when it was closed after writing or moved in (inotify events via
watchdog), or when its size and mtime stayed the same for `settle_seconds` (the
periodic scan: network shares and editors that never send close events). The scan
also picks up whatever arrived while chartdrop was down."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from watchdog.events import FileClosedEvent, FileMovedEvent, FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from chartdrop.ingest import containers, queue
from chartdrop.ingest.files import is_ignored, walk_files
from chartdrop.ingest.pipeline import Worker, recover_spool
from chartdrop.ingest.types import DocumentKind, UnreadableDocument
from chartdrop.settings import Settings

log = logging.getLogger("chartdrop.ingest")


class _Events(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_closed(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileClosedEvent) and not event.is_directory:
            self.watcher.offer(Path(str(event.src_path)))

    def on_moved(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileMovedEvent) and not event.is_directory:
            self.watcher.offer(Path(str(event.dest_path)))


class Watcher:
    """The inbox watcher and its workers. `start()`, then `stop()` (finishes the
    documents in hand), or use as a context manager."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self.factory, self.settings = factory, settings
        self.inbox = settings.inbox.resolve()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one registration at a time per process
        self._seen: dict[Path, tuple[int, float, float]] = {}  # path → size, mtime, since
        self._observer = Observer()
        self.workers: list[Worker] = []
        self._scanner = threading.Thread(target=self._scan_loop, name="inbox-scan", daemon=True)

    def start(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        recover_spool(self.factory, self.settings)
        self.workers = [
            Worker(self.factory, self.settings, self._stop, name=f"worker-{n}")
            for n in range(max(1, self.settings.workers))
        ]
        for worker in self.workers:
            worker.start()
        self._observer.schedule(_Events(self), str(self.inbox), recursive=True)
        self._observer.start()
        self._scanner.start()
        log.info("watching the inbox with %d worker(s)", len(self.workers))

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._observer.stop()
        for worker in self.workers:
            worker.wake.set()
        self._observer.join(timeout)
        self._scanner.join(timeout)
        for worker in self.workers:
            worker.join(timeout)

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def offer(self, path: Path) -> None:
        """A file known to be complete (closed after writing, or moved in)."""
        if not is_ignored(path) and path.is_file():
            self._register(path)

    def _register(self, path: Path) -> None:
        with self._lock:
            self._seen.pop(path, None)
            if not path.is_file():
                return
            try:
                kind = containers.sniffed_kind(path, self.settings)
                if kind is DocumentKind.CSV:
                    self._register_rows(path)
                    return
                registration = queue.register(self.factory, self.settings, path, kind=kind)
            except Exception:
                log.exception("could not take a file from the inbox; will retry")
                return
        if registration is not None and registration.status == queue.DocumentStatus.QUEUED:
            for worker in self.workers:
                worker.wake.set()

    def _register_rows(self, path: Path) -> None:
        """A note-per-row CSV: each row its own document, the CSV archived once."""
        try:
            rows = containers.register_container(
                self.factory, self.settings, path, keep_source=False
            )
        except UnreadableDocument as exc:  # not a file we can split: take it whole
            log.warning("CSV export not split (%s); taken as one document", exc.reason)
            queue.register(self.factory, self.settings, path)
        else:
            for reason in rows.skipped_rows.values():
                log.warning("CSV export: %s; no document made for it", reason)
        for worker in self.workers:
            worker.wake.set()

    def scan_once(self) -> None:
        """Register every file whose size and mtime have settled."""
        now = time.monotonic()
        present = set()
        for path in walk_files(self.inbox):
            present.add(path)
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            previous = self._seen.get(path)
            if previous is None or previous[:2] != (stat.st_size, stat.st_mtime):
                self._seen[path] = (stat.st_size, stat.st_mtime, now)
            elif now - previous[2] >= self.settings.settle_seconds:
                self._register(path)
        for gone in set(self._seen) - present:
            self._seen.pop(gone, None)
        self._prune_empty_folders()

    def _prune_empty_folders(self) -> None:
        # Folders dropped into the inbox are walked; once empty and settled they go,
        # so the inbox ends empty. A folder still being copied in is left alone.
        cutoff = time.time() - max(self.settings.settle_seconds, 1.0)
        for folder in sorted(self.inbox.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                settled = folder.is_dir() and folder.stat().st_mtime < cutoff
                if settled and not folder.name.startswith("."):
                    folder.rmdir()  # fails harmlessly unless empty

    def _scan_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.scan_once()
            except Exception:
                log.exception("inbox scan failed; will retry")
            self._stop.wait(min(self.settings.poll_seconds, self.settings.settle_seconds))
