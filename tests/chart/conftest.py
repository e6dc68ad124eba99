"""Loopback receivers for the export tests: a FHIR endpoint that fails its first
tries with 503, and MLLP listeners answering AA or AE."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.review.conftest import _cheap_password_hashing  # noqa: F401 - autouse fixture


@dataclass
class FhirEndpoint:
    url: str
    fail_first: int = 2
    bodies: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.statuses.count(200)


@pytest.fixture
def fhir_endpoint() -> Iterator[FhirEndpoint]:
    endpoint = FhirEndpoint(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            endpoint.bodies.append(body)
            if len(endpoint.bodies) <= endpoint.fail_first:
                status, answer = 503, {"resourceType": "OperationOutcome", "issue": []}
            else:
                status = 200
                answer = {
                    "resourceType": "Bundle",
                    "type": "transaction-response",
                    "entry": [
                        {"response": {"status": "201 Created", "location": f"{r}/{i}/_history/1"}}
                        for i, r in enumerate(e["resource"]["resourceType"] for e in body["entry"])
                    ],
                }
            endpoint.statuses.append(status)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/fhir"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    server.shutdown()
    server.server_close()


@dataclass
class MllpListener:
    port: int
    answer: str = "AA"
    messages: list[str] = field(default_factory=list)


def _ack(message: str, code: str) -> bytes:
    control = message.split("\r", 1)[0].split("|")[9]
    text = "" if code == "AA" else "|Patient not found"
    ack = (
        "MSH|^~\\&|EHR||CHARTDROP||20261123120000||ACK^T02^ACK|A1|P|2.5.1\r"
        f"MSA|{code}|{control}{text}\r"
    )
    return b"\x0b" + ack.encode() + b"\x1c\x0d"


@pytest.fixture
def mllp_listener() -> Iterator[MllpListener]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    listener = MllpListener(port=server.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                buffer = b""
                while b"\x1c\x0d" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    buffer += chunk
                message = buffer.strip(b"\x0b").split(b"\x1c\x0d")[0].decode()
                listener.messages.append(message)
                conn.sendall(_ack(message, listener.answer))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener
    stop.set()
    thread.join(2)
    server.close()
