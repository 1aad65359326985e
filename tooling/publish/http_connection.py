"""One kept-alive HTTP/1.1 connection for the HTTP engine: a request goes out in one write, its response is read
into one buffer and parsed by hand.

Why not http.client: the profile of `tooling publish batch` against a fast endpoint put http.client at about
130 µs of CPU per PutEvents call, most of it the `email` package parsing four response headers and two
socket writes per request (headers, then body; each also wakes the server). This does what PutEvents needs
and nothing else: POST with a body, a Content-Length or chunked response (any 1xx before it skipped), the
connection kept unless the server says `Connection: close` or answers without a length.

Failures: socket errors and timeouts are OSErrors as before; a response that is not HTTP/1.x, or ends early,
is ProtocolError (a ConnectionError), and either way the connection is closed and must not be used again.
"""

from __future__ import annotations

import socket
import ssl
from typing import NamedTuple

_HEAD_END = b"\r\n\r\n"
_CRLF = b"\r\n"
_READ = 65536
# Bounds on what a server may send before the body: PutEvents answers carry a handful of short headers.
MAX_HEAD_BYTES = 64 * 1024


class ProtocolError(ConnectionError):
    """The server's answer is not a readable HTTP/1.x response (or the connection closed mid-answer)."""


class Response(NamedTuple):
    status: int
    reason: str
    headers: dict[str, str]  # names lower-cased (HTTP names are case-insensitive)
    body: bytes
    will_close: bool


class Connection:
    def __init__(self, host: str, port: int, *, timeout: float, tls: ssl.SSLContext | None = None) -> None:
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            # One write per request: nothing to gain from Nagle, and it would delay the request by an RTT.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                sock = tls.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        self._sock: socket.socket | None = sock
        self._buffer = bytearray()

    def exchange(self, request: bytes) -> Response:
        """Send one whole request (head and body) and read its response."""
        if self._sock is None:
            raise ProtocolError("the connection is closed")
        try:
            self._sock.sendall(request)
            while True:
                status, reason, headers = self._read_head()
                if not 100 <= status < 200:
                    break
            body, until_close = self._read_body(headers)
        except BaseException:
            self.close()
            raise
        will_close = until_close or "close" in headers.get("connection", "").lower()
        if will_close:
            self.close()
        return Response(status, reason, headers, body, will_close)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer.clear()

    # -- reading ---------------------------------------------------------------------------------------------
    def _fill(self) -> bool:
        assert self._sock is not None
        chunk = self._sock.recv(_READ)
        if chunk:
            self._buffer += chunk
        return bool(chunk)

    def _take(self, count: int) -> bytes:
        while len(self._buffer) < count:
            if not self._fill():
                raise ProtocolError(f"the connection closed {count - len(self._buffer)} byte(s) short")
        taken = bytes(self._buffer[:count])
        del self._buffer[:count]
        return taken

    def _line(self, terminator: bytes = _CRLF, limit: int = MAX_HEAD_BYTES) -> bytes:
        while (end := self._buffer.find(terminator)) < 0:
            if len(self._buffer) > limit:
                raise ProtocolError(f"no end of line within {limit} bytes")
            if not self._fill():
                raise ProtocolError("the connection closed before the response's head ended")
        return self._take(end + len(terminator))[: -len(terminator)]

    def _read_head(self) -> tuple[int, str, dict[str, str]]:
        head = self._line(_HEAD_END).decode("latin-1")
        status_line, *lines = head.split("\r\n")
        version, _, rest = status_line.partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/1.") or not (code.isdigit() and len(code) == 3):
            raise ProtocolError(f"not an HTTP/1.x status line: {status_line[:100]!r}")
        headers: dict[str, str] = {}
        for line in lines:
            name, colon, value = line.partition(":")
            if not colon:
                raise ProtocolError(f"not a header line: {line[:100]!r}")
            key = name.strip().lower()
            # Repeated headers join with ", " (RFC 9110 5.3), as http.client's getheaders() showed them.
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        if version == "HTTP/1.0" and "keep-alive" not in headers.get("connection", "").lower():
            headers["connection"] = "close"
        return int(code), reason, headers

    def _read_body(self, headers: dict[str, str]) -> tuple[bytes, bool]:
        """(body, read until the server closed)."""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._read_chunked(), False
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise ProtocolError(f"Content-Length is not a number: {length[:40]!r}")
            return self._take(int(length)), False
        while self._fill():  # no length: the body ends when the server closes (RFC 9112 6.3)
            pass
        body = bytes(self._buffer)
        self._buffer.clear()
        return body, True

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size_text = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(f"not a chunk size: {size_text[:40]!r}") from None
            if size == 0:
                while self._line():  # trailer fields, up to the empty line
                    pass
                return b"".join(parts)
            parts.append(self._take(size))
            if self._take(2) != _CRLF:
                raise ProtocolError("a chunk does not end with CRLF")
