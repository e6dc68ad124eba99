"""Where chart entries go: an outbox folder, a FHIR server, an HL7 v2 receiver over
MLLP. Each destination sends one entry and returns the receiver's id for it, or raises
ExportFailure with a reason a technician can read (no patient details in it)."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from chartdrop.chart.entry import ChartEntry
from chartdrop.chart.fhir import bundle_json
from chartdrop.chart.hl7v2 import Hl7Error, ack_code, build_mdm
from chartdrop.settings import Settings

log = logging.getLogger(__name__)
MLLP_START, MLLP_END = b"\x0b", b"\x1c\x0d"
HTTP_TRIES = 4
TRANSIENT_HTTP = {408, 425, 429, 500, 502, 503, 504}
MAX_ACK_BYTES = 1 << 20


class ExportFailure(RuntimeError):
    """One send failed; the message is stored on the export record."""


class Destination(Protocol):
    name: str
    format: str

    def send(self, entry: ChartEntry, preliminary: bool) -> str | None: ...


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`:
    a reader sees the whole file or none of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@dataclass
class Outbox:
    """One FHIR JSON Bundle and one HL7 MDM^T02 file per entry in a folder."""

    folder: Path
    name: str = "outbox"
    format: str = "fhir+hl7v2"

    def paths(self, draft_id: int, preliminary: bool) -> tuple[Path, Path]:
        stem = f"draft-{draft_id}" + (".preliminary" if preliminary else "")
        return self.folder / f"{stem}.fhir.json", self.folder / f"{stem}.hl7"

    def send(self, entry: ChartEntry, preliminary: bool) -> str | None:
        fhir_path, hl7_path = self.paths(entry.draft_id, preliminary)
        try:
            write_atomically(fhir_path, bundle_json(entry, preliminary).encode("utf-8"))
            write_atomically(hl7_path, build_mdm(entry, preliminary).encode("utf-8"))
        except OSError as exc:
            raise ExportFailure(f"cannot write the outbox: {exc.strerror or exc}") from exc
        return fhir_path.name


@dataclass
class FhirServer:
    """POST the transaction Bundle to the server's base URL; transient failures
    (connection errors, 408/429/5xx) are retried with exponential backoff."""

    base_url: str
    timeout: float = 10.0
    backoff: float = 1.0
    tries: int = HTTP_TRIES
    sleep: Callable[[float], None] = time.sleep
    name: str = "fhir"
    format: str = "fhir"

    def send(self, entry: ChartEntry, preliminary: bool) -> str | None:
        if not self.base_url:
            raise ExportFailure("CHARTDROP_FHIR_BASE_URL is not set")
        body = bundle_json(entry, preliminary).encode("utf-8")
        headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
        reason = "no attempt made"
        with httpx.Client(timeout=self.timeout) as client:
            for attempt in range(self.tries):
                if attempt:
                    self.sleep(self.backoff * 2 ** (attempt - 1))
                try:
                    response = client.post(self.base_url.rstrip("/"), content=body, headers=headers)
                except httpx.HTTPError as exc:
                    reason = f"cannot reach the FHIR server: {type(exc).__name__}"
                    continue
                if response.status_code < 300:
                    return _remote_id(response)
                reason = f"FHIR server answered HTTP {response.status_code}"
                if response.status_code not in TRANSIENT_HTTP:
                    break  # the server refused the Bundle: retrying will not help
        raise ExportFailure(f"{reason} (after {attempt + 1} tries)")


def _remote_id(response: httpx.Response) -> str | None:
    """The DocumentReference's location from the transaction-response, if any."""
    try:
        data: dict[str, Any] = response.json()
    except ValueError:
        return response.headers.get("Location")
    for item in data.get("entry", []) or []:
        location = (item.get("response") or {}).get("location") or ""
        if location.startswith("DocumentReference"):
            return str(location)[:512]
    return response.headers.get("Location")


@dataclass
class Mllp:
    """Send MDM^T02 over MLLP and wait for the ACK: AA/CA is success, anything else
    (AE, AR, CE, CR, no answer) a failure."""

    host: str
    port: int
    timeout: float = 10.0
    name: str = "mllp"
    format: str = "hl7v2"

    def send(self, entry: ChartEntry, preliminary: bool) -> str | None:
        if not self.host:
            raise ExportFailure("CHARTDROP_MLLP_HOST is not set")
        message = build_mdm(entry, preliminary)
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                sock.settimeout(self.timeout)
                sock.sendall(MLLP_START + message.encode("utf-8") + MLLP_END)
                answer = _read_frame(sock)
        except OSError as exc:
            raise ExportFailure(f"MLLP exchange failed: {type(exc).__name__}") from exc
        try:
            code, text = ack_code(answer)
        except (Hl7Error, ValueError) as exc:
            raise ExportFailure("the receiver's answer is not an HL7 ACK") from exc
        if code not in {"AA", "CA"}:
            detail = f": {text[:200]}" if text else ""
            raise ExportFailure(f"receiver answered {code or 'nothing'}{detail}")
        return _control_id(message)


def _read_frame(sock: socket.socket) -> str:
    buffer = b""
    while MLLP_END not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before the ACK ended")
        buffer += chunk
        if len(buffer) > MAX_ACK_BYTES:
            raise ConnectionError("ACK too long")
    start = buffer.find(MLLP_START)
    return buffer[start + 1 : buffer.index(MLLP_END)].decode("utf-8", errors="replace")


def _control_id(message: str) -> str:
    return message.split("\r", 1)[0].split("|")[9]


def destinations(settings: Settings) -> list[Destination]:
    """The configured destinations, in the order named. Unknown names are an error."""
    out: list[Destination] = []
    for name in settings.destinations:
        if name == "outbox":
            out.append(Outbox(settings.outbox_path))
        elif name == "fhir":
            out.append(
                FhirServer(
                    settings.fhir_base_url,
                    timeout=settings.export_timeout_seconds,
                    backoff=settings.export_backoff_seconds,
                )
            )
        elif name == "mllp":
            out.append(
                Mllp(settings.mllp_host, settings.mllp_port, settings.export_timeout_seconds)
            )
        else:
            raise ValueError(f"unknown export destination {name!r}: use outbox, fhir or mllp")
    return out
