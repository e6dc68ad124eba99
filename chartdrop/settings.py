"""chartdrop's settings: one table, read from the environment and/or one TOML file.

Precedence: environment variable > TOML file > default. The TOML file is
`$CHARTDROP_CONFIG` if set, else `./chartdrop.toml` when present. Keys in the file
are the variable names without the `CHARTDROP_` prefix, in lower case
(`whisper_model = "small.en"`).
"""

from __future__ import annotations

import itertools
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "CHARTDROP_"


@dataclass(frozen=True)
class Settings:
    """Every setting chartdrop reads. Field docs become the README's table."""

    data_dir: Path = Path("var")
    """Database file, archive of originals, quarantine."""
    inbox: Path = Path("inbox")
    """The watched drop folder."""
    database_url: str = ""
    """SQLAlchemy URL; empty means an SQLite file in the data dir."""
    whisper_model: str = "bundled:tiny.en"
    """faster-whisper model name or local CTranslate2 folder; `bundled:tiny.en` is shipped."""
    whisper_device: str = "auto"
    """`auto`, `cpu` or `cuda`."""
    whisper_compute_type: str = "auto"
    """`auto` (int8 on CPU, float16 on CUDA) or any CTranslate2 compute type."""
    whisper_threads: int = 2
    """CPU threads for transcription, shared by the process's workers."""
    whisper_decode_threads: int = -1
    """CPU threads per decoder, when fewer than `whisper_threads`: then
    `whisper_threads // whisper_decode_threads` decodes run at once, the workers' recordings
    side by side and a recording of 2 minutes or more cut into parts (faster for tiny.en,
    whose beam search gains little from a second thread). 0 means one decoder on
    `whisper_threads`; -1 (auto) means 1 for a model of at most 200 MB on disk (tiny, base),
    else one decoder."""
    whisper_beam_size: int = 5
    """Beam width for decoding."""
    language: str = "en"
    """Spoken/written language of the notes."""
    site_terms_file: str = ""
    """Dictation: a file of extra clinical terms (one a line) for low-confidence word correction."""
    medical_wordlist: str = "auto"
    """Dictation: medical spelling list(s) whose words may replace non-words (`auto`: Hunspell's
    `hunspell-en-med` when installed; empty: none; or `.dic`/word-list paths, `:`-separated)."""
    acoustic_checks: int = 6
    """Dictation: proposed corrections per 30 s window that the recogniser scores against the
    audio (each costs two short decoder passes); 0 turns the check off, and the lexicon's
    proposals are then taken on spelling and sound alone."""
    workers: int = 2
    """Worker threads in `chartdrop watch` and `process`: documents read at once (two short
    dictations decode side by side on the CPU, see `whisper_decode_threads`)."""
    settle_seconds: float = 1.0
    """A file whose size and mtime are unchanged this long is complete."""
    poll_seconds: float = 2.0
    """How often the watcher rescans the inbox as a safety net for missed events."""
    lease_seconds: float = 600.0
    """How long a worker's claim on a document lasts before another may retry it."""
    max_attempts: int = 3
    """Claims per document before it is failed for good."""
    max_file_mb: float = 512.0
    """Larger files are quarantined unread."""
    max_pages: int = 200
    """Longer PDFs are quarantined unread."""
    max_audio_minutes: float = 180.0
    """Longer recordings are quarantined unread."""
    ocr_dpi: int = 300
    """Resolution for rendering image-only PDF pages."""
    ocr_workers: int = 2
    """Pages OCR'd in parallel within one document."""
    max_image_megapixels: float = 120.0
    """Larger images are quarantined (decompression bombs); large PDF pages render smaller."""
    pdfa_copies: int = 1
    """1 keeps a searchable PDF/A copy of each scan (OCRmyPDF) beside its original; 0 skips."""
    session_idle_minutes: float = 15.0
    """Review desk: a session idle this long is logged off."""
    secret_key: str = ""
    """Review desk: cookie-signing key; empty means one generated into `<data dir>/secret_key`."""
    serve_host: str = "127.0.0.1"
    """Review desk: address `chartdrop serve` listens on."""
    serve_port: int = 8750
    """Review desk: port `chartdrop serve` listens on."""
    export_destinations: str = "outbox"
    """Where approved entries go, comma separated: `outbox`, `fhir`, `mllp` (none: empty)."""
    outbox_dir: str = ""
    """Export outbox (a FHIR JSON and an HL7 file per entry); empty means `<data dir>/outbox`."""
    fhir_base_url: str = ""
    """FHIR R4 server base URL the `fhir` destination POSTs transaction Bundles to."""
    mllp_host: str = ""
    """HL7 v2 receiver host for the `mllp` destination (MDM^T02 over MLLP)."""
    mllp_port: int = 2575
    """HL7 v2 receiver port for the `mllp` destination."""
    export_max_attempts: int = 5
    """Export attempts per entry and destination that `chartdrop export --retry` makes."""
    export_timeout_seconds: float = 10.0
    """Network timeout for one FHIR POST or MLLP exchange."""
    export_backoff_seconds: float = 1.0
    """First pause between FHIR POST retries within one attempt (doubles each retry)."""
    export_retry_seconds: float = 300.0
    """How often `chartdrop watch` retries pending and failed exports (0: never)."""

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def outbox_path(self) -> Path:
        return Path(self.outbox_dir).expanduser() if self.outbox_dir else self.data_dir / "outbox"

    @property
    def destinations(self) -> list[str]:
        return [d.strip().lower() for d in self.export_destinations.split(",") if d.strip()]

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'chartdrop.db').resolve()}"

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed (tests and CLI options)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**_coerce_all(values))


def _coerce(name: str, raw: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    kind = kind if isinstance(kind, str) else kind.__name__
    try:
        if kind == "Path":
            return Path(raw).expanduser()
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(
            f"setting {ENV_PREFIX}{name.upper()}: cannot read {raw!r} as {kind}"
        ) from exc


def _coerce_all(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _coerce(name, value) for name, value in values.items()}


class SettingsError(ValueError):
    """A setting has a value chartdrop cannot use."""


def config_file(environ: dict[str, str] | os._Environ[str] | None = None) -> Path | None:
    environ = os.environ if environ is None else environ
    explicit = environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise SettingsError(f"{ENV_PREFIX}CONFIG names {path}, which is not a file")
        return path
    default = Path("chartdrop.toml")
    return default if default.is_file() else None


def load_settings(environ: dict[str, str] | os._Environ[str] | None = None) -> Settings:
    """Settings from the TOML file (if any) overlaid with `CHARTDROP_*` variables."""
    environ = os.environ if environ is None else environ
    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    path = config_file(environ)
    if path is not None:
        with path.open("rb") as handle:
            table = tomllib.load(handle)
        unknown = sorted(set(table) - names)
        if unknown:
            raise SettingsError(f"{path}: unknown settings {', '.join(unknown)}")
        values.update(table)
    for name in names:
        raw = environ.get(f"{ENV_PREFIX}{name.upper()}")
        if raw is not None and raw != "":
            values[name] = raw
    settings = Settings(**_coerce_all(values))
    _check_files(settings)
    return settings


def _check_files(settings: Settings) -> None:
    """Word lists named in the settings must exist now: found missing at the first dictation,
    the error would fail a document instead of stopping the service at start."""
    named = [("site_terms_file", settings.site_terms_file)]
    if settings.medical_wordlist.strip() not in ("", "auto"):
        named += [("medical_wordlist", p) for p in settings.medical_wordlist.split(os.pathsep)]
    for name, raw in named:
        if raw.strip() and not Path(raw.strip()).expanduser().is_file():
            raise SettingsError(f"setting {ENV_PREFIX}{name.upper()}: {raw.strip()} is not a file")


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) rows, for docs and `chartdrop config`."""
    import ast
    import inspect

    source = inspect.getsource(Settings)
    docs: dict[str, str] = {}
    tree = ast.parse(source)
    body = tree.body[0].body  # type: ignore[attr-defined]
    for node, after in itertools.pairwise(body):
        if isinstance(node, ast.AnnAssign) and isinstance(after, ast.Expr):
            docs[node.target.id] = after.value.value  # type: ignore[attr-defined,union-attr]
    defaults = Settings()
    return [
        (
            f"{ENV_PREFIX}{f.name.upper()}",
            str(getattr(defaults, f.name)) or "(empty)",
            docs.get(f.name, ""),
        )
        for f in fields(Settings)
    ]
