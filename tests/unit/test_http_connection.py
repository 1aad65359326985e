"""The HTTP engine's connection (tooling/publish/http_connection.py) against canned answers on a real socket:
each framing a server may use, and each broken answer ending in ProtocolError with the connection closed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tooling.publish.http_connection import Connection, ProtocolError

REQUEST = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


class Server:
    """Accepts one connection; answers the i-th request with answers[i], then closes if asked to."""

    def __init__(self, answers: list[bytes], close_after: bool = False) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, args=(answers, close_after), daemon=True)
        self.thread.start()

    def _serve(self, answers: list[bytes], close_after: bool) -> None:
        conn, _ = self.listener.accept()
        with conn:
            for answer in answers:
                received = b""
                while not received.endswith(b"{}"):
                    received += conn.recv(65536)
                self.requests.append(received)
                conn.sendall(answer)
            if not close_after:
                conn.recv(1)  # hold the connection open until the client closes it


@pytest.fixture
def serve() -> Iterator[type[Server]]:
    yield Server


def connect(server: Server) -> Connection:
    return Connection("127.0.0.1", server.port, timeout=5)


def test_two_requests_on_one_kept_alive_connection(serve: type[Server]) -> None:
    ok = b"HTTP/1.1 200 OK\r\nX-Amzn-RequestId: r1\r\nContent-Length: 5\r\n\r\nhello"
    server = serve([ok, ok.replace(b"r1", b"r2")])
    conn = connect(server)

    first, second = conn.exchange(REQUEST), conn.exchange(REQUEST)

    assert (first.status, first.reason, first.body, first.will_close) == (200, "OK", b"hello", False)
    assert first.headers["x-amzn-requestid"] == "r1" and second.headers["x-amzn-requestid"] == "r2"
    assert server.requests == [REQUEST, REQUEST]  # each request whole, as sent
    conn.close()


def test_chunked_bodies_informational_answers_and_repeated_headers(serve: type[Server]) -> None:
    answer = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\nVia: a\r\nVia: b\r\n\r\n"
        b'4;ext=1\r\n{"a"\r\n3\r\n:1}\r\n0\r\nTrailer: x\r\n\r\n'
    )
    conn = connect(serve([answer]))

    response = conn.exchange(REQUEST)

    assert (response.status, response.body) == (400, b'{"a":1}')
    assert response.headers["via"] == "a, b"
    conn.close()


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\n\r\nok",  # no length: the body is what comes until the server closes
    ],
)
def test_a_connection_the_server_ends_is_closed_after_its_answer(serve: type[Server], answer: bytes) -> None:
    conn = connect(serve([answer], close_after=True))

    response = conn.exchange(REQUEST)

    assert (response.body, response.will_close) == (b"ok", True)
    with pytest.raises(ProtocolError, match="closed"):
        conn.exchange(REQUEST)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "short"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "Content-Length is not a number"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "not a header line"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not a chunk size"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "before the response's head ended"),
    ],
)
def test_a_broken_answer_is_a_protocol_error_and_closes_the_connection(
    serve: type[Server], answer: bytes, message: str
) -> None:
    conn = connect(serve([answer], close_after=True))

    with pytest.raises(ProtocolError, match=message) as raised:
        conn.exchange(REQUEST)

    assert isinstance(raised.value, ConnectionError)  # the publisher retries it like botocore's errors
    with pytest.raises(ProtocolError, match="the connection is closed"):
        conn.exchange(REQUEST)
