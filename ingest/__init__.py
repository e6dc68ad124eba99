"""Ingest: from a dropped file to text, through the durable queue.

Public entry points: `Watcher` (the inbox service), `process_document` (one claimed
document through the stages), `process_files` and `backfill` (batch runs)."""

from chartdrop.ingest.batch import BatchReport, backfill, process_files
from chartdrop.ingest.pipeline import Outcome, process_document, recover_spool
from chartdrop.ingest.watcher import Watcher

__all__ = [
    "BatchReport",
    "Outcome",
    "Watcher",
    "backfill",
    "process_document",
    "process_files",
    "recover_spool",
]
