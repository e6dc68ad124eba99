"""End-to-end backfill speed: MTSamples notes as .txt files through `ingest.backfill` (queue,
text extraction, NLP, staged drafts in SQLite), as `chartdrop backfill` runs them.

    .venv/bin/python bench/backfill.py [--notes N] [--workers 1 2 ...] [--processes 2 ...]

Each worker count (`workers`, threads) runs in its own child process (fresh database, cold
caches, its own peak RSS). `--processes P` then runs P `backfill` processes at once, each on
its part of one folder (`ingest.batch.part_of`, as `chartdrop backfill --processes P` splits
it), against one SQLite database: the rate is all files over the time from the first start
to the last finish, models loaded beforehand. Prints files/s, drafts/s and peak RSS; never
note text.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import dev_data_dir, load_notes, peak_rss_mb


@contextmanager
def legacy_folder(notes: int) -> Iterator[tuple[Path, Path, str, int]]:
    """(root, folder of `notes` MTSamples .txt files, upgraded SQLite URL, file count) in a
    temporary directory removed afterwards."""
    from chartdrop.models import upgrade

    texts = load_notes(dev_data_dir() / "mtsamples" / "mtsamples.csv", notes)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "legacy"
        folder.mkdir()
        for n, text in enumerate(texts):
            (folder / f"note{n:05d}.txt").write_text(text, encoding="utf-8")
        url = f"sqlite:///{root / 'var' / 'chartdrop.db'}"
        upgrade(url)
        yield root, folder, url, len(texts)


def child(notes: int, workers: int) -> dict[str, float]:
    from chartdrop.ingest import backfill
    from chartdrop.models import make_engine, session_factory
    from chartdrop.nlp import warm_up
    from chartdrop.settings import Settings

    with legacy_folder(notes) as (root, folder, url, count):
        settings = Settings(
            data_dir=root / "var", inbox=root / "inbox", database_url=url, workers=workers
        )
        factory = session_factory(make_engine(url))
        warm_up()  # the model load is not part of the rate (`chartdrop backfill` pays it once)
        started = time.perf_counter()
        report = backfill(factory, settings, folder)
        wall = time.perf_counter() - started
    return {"notes": count, "staged": report.staged, "wall": wall, "rss": peak_rss_mb()}


def serve(folder: Path, data_dir: Path, url: str, part: tuple[int, int]) -> dict[str, float]:
    """One of several backfill processes, as `chartdrop backfill --processes` starts them: load,
    say ready, wait for "go" on stdin, then back-fill its part of the folder."""
    from chartdrop.ingest import backfill
    from chartdrop.models import make_engine, session_factory
    from chartdrop.nlp import warm_up
    from chartdrop.settings import Settings

    settings = Settings(data_dir=data_dir, inbox=data_dir / "inbox", database_url=url)
    factory = session_factory(make_engine(url))
    warm_up()
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.time()
    report = backfill(factory, settings, folder, part=part)
    return {"start": started, "end": time.time(), "staged": report.staged, "rss": peak_rss_mb()}


def several(notes: int, processes: int) -> dict[str, float]:
    with legacy_folder(notes) as (root, folder, url, count):
        command = [sys.executable, __file__, "--serve", str(folder), str(root / "var"), url]
        children = [
            subprocess.Popen(
                [*command, f"{k}/{processes}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for k in range(processes)
        ]
        for child_process in children:
            while child_process.stdout.readline().strip() != "ready":
                pass
        for child_process in children:
            child_process.stdin.write("go\n")
            child_process.stdin.flush()
        results = [json.loads(c.communicate()[0].strip().splitlines()[-1]) for c in children]
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    staged = sum(r["staged"] for r in results)
    rss = max(r["rss"] for r in results)
    return {"notes": count, "staged": staged, "wall": wall, "rss": rss}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--processes", type=int, nargs="*", default=[])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.notes, args.child)))
        return 0
    if args.serve:
        folder, data_dir, url, part = args.serve
        index, _, count = part.partition("/")
        print(json.dumps(serve(Path(folder), Path(data_dir), url, (int(index), int(count)))))
        return 0
    if not (dev_data_dir() / "mtsamples" / "mtsamples.csv").is_file():
        print(f"no MTSamples under {dev_data_dir()}; skipped")
        return 0
    print(f"backfill of {args.notes} MTSamples notes (.txt), SQLite, 1 process")
    for workers in args.workers:
        cmd = [sys.executable, __file__, "--notes", str(args.notes), "--child", str(workers)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        # MTSamples repeats notes under several specialties: repeats are skipped as received.
        print(
            f"  workers={workers}: {result['notes'] / result['wall']:.1f} files/s, "
            f"{result['staged'] / result['wall']:.1f} drafts staged/s ({result['staged']:.0f} "
            f"of {result['notes']:.0f} files; the rest repeat a note) in {result['wall']:.1f} s, "
            f"peak RSS {result['rss']:.0f} MB"
        )
    for processes in args.processes:
        result = several(args.notes, processes)
        print(
            f"  processes={processes} (1 worker each): {result['notes'] / result['wall']:.1f} "
            f"files/s, {result['staged'] / result['wall']:.1f} drafts staged/s in "
            f"{result['wall']:.1f} s, peak RSS {result['rss']:.0f} MB each"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
