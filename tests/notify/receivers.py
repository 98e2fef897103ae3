"""Local receivers on loopback for webhooks (http.server in a thread) and e-mail (SMTP).

The SMTP receiver is aiosmtpd's Controller when aiosmtpd is installed; otherwise a small stdlib SMTP
server speaking just enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for smtplib.
"""

from __future__ import annotations

import email
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """Records every POST; answers with the next status in `statuses` (then 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[ReceivedRequest] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                receiver.requests.append(
                    ReceivedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"receiver error")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class _Envelope:
    sender: str = ""
    recipients: list[str] = field(default_factory=list)


class _SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: Any = self.server
        envelope = _Envelope()
        self._send("220 localhost test SMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self._send("250 localhost")
            elif verb == "MAIL":
                envelope = _Envelope(sender=command.split(":", 1)[1].strip().strip("<>").split(">")[0])
                self._send("250 OK")
            elif verb == "RCPT":
                envelope.recipients.append(command.split(":", 1)[1].strip().strip("<>").split(">")[0])
                self._send("250 OK")
            elif verb == "DATA":
                self._send("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                server.on_message(envelope, bytes(data))
                self._send("250 OK queued")
            elif verb == "QUIT":
                self._send("221 Bye")
                return
            else:  # RSET, NOOP and anything else
                self._send("250 OK")

    def _send(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


class _ThreadingSmtp(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, on_message: Callable[[_Envelope, bytes], None]) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.on_message = on_message


class SmtpReceiver:
    """Collects delivered messages as (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self._controller: Any = None
        self._server: _ThreadingSmtp | None = None
        self.port = 0

    def _store(self, recipients: list[str], raw: bytes) -> None:
        self.messages.append((recipients, email.message_from_bytes(raw)))

    def __enter__(self) -> SmtpReceiver:
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            self._server = _ThreadingSmtp(lambda envelope, raw: self._store(envelope.recipients, raw))
            self.port = self._server.server_address[1]
            threading.Thread(target=self._server.serve_forever, daemon=True).start()
            return self
        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                receiver._store(list(envelope.rcpt_tos), envelope.content)
                return "250 Message accepted for delivery"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
