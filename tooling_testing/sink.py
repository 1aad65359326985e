"""A PutEvents sink: the smallest HTTP endpoint that answers PutEvents the way EventBridge does, on 127.0.0.1.

It exists to measure a publisher (the sink answers at once, so the client is the limit) and to test the wire
path without AWS: keep-alive HTTP/1.1, one answer per request with one result per entry
(`{"FailedEntryCount": 0, "Entries": [{"EventId": ...}, ...]}`), and optional faults taken from a plan
(whole-call errors by status and code, or entries failed with an ErrorCode), so a test can check that only
failed entries come back. It accepts any signature: checking SigV4 is AWS's job, not a benchmark's.

Run it in its own process so its CPU is not the client's:
    python -m tooling_testing.sink [--port 0]     # prints "PORT <n>" once listening
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

# One entry key that appears unescaped only at the top level of a PutEvents body (Detail is a JSON string, so
# quotes inside it are escaped): counting it gives the entry count without parsing the body.
_ENTRY_KEY = b'"Source"'
_HEAD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class Fault:
    """What the sink does to one request: a whole-call error, or some entries failed by position."""

    status: int = 200
    code: str = ""
    failed_entries: tuple[int, ...] = ()
    entry_code: str = "ThrottlingException"
    drop: bool = False  # close the connection without answering


@dataclass
class SinkLog:
    """What the sink received (only when recording): the raw bodies and the header blocks, in order."""

    bodies: list[bytes] = field(default_factory=list)
    heads: list[bytes] = field(default_factory=list)


FaultPlan = Callable[[int, bytes], Fault | None]
"""(request number from 0, body) -> the fault for that request, or None to accept every entry."""


class _Protocol(asyncio.Protocol):
    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._sink.connections += 1

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            end = self._buffer.find(_HEAD_END)
            if end < 0:
                return
            head = bytes(self._buffer[:end])
            length = _content_length(head)
            total = end + 4 + length
            if len(self._buffer) < total:
                return
            body = bytes(self._buffer[end + 4 : total])
            del self._buffer[:total]
            assert self._transport is not None
            answer = self._sink.answer(head, body)
            if answer is None:
                self._transport.close()
                return
            self._transport.write(answer)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


class Sink:
    """The endpoint's state: request counter, optional fault plan, optional log."""

    def __init__(self, faults: FaultPlan | None = None, *, record: bool = False) -> None:
        self.faults = faults
        self.log = SinkLog() if record else None
        self.requests = 0
        self.connections = 0
        self.accepted = 0
        self._next_id = 0

    def answer(self, head: bytes, body: bytes) -> bytes | None:
        """The HTTP response to one request; None to drop the connection instead."""
        number = self.requests
        self.requests += 1
        if self.log is not None:
            self.log.bodies.append(body)
            self.log.heads.append(head)
        fault = self.faults(number, body) if self.faults is not None else None
        if fault is not None and fault.drop:
            return None
        if fault is not None and fault.status != 200:
            error = json.dumps({"__type": fault.code, "message": f"injected {fault.code}"}).encode()
            return _response(fault.status, error)
        failed = set(fault.failed_entries) if fault is not None else set()
        count = body.count(_ENTRY_KEY)
        results = []
        for position in range(count):
            if position in failed:
                code = fault.entry_code if fault is not None else ""
                results.append(f'{{"ErrorCode":"{code}","ErrorMessage":"injected {code}"}}')
            else:
                self._next_id += 1
                results.append(f'{{"EventId":"{self._next_id:08d}-sink"}}')
        failed_count = len(failed & set(range(count)))
        self.accepted += count - failed_count
        payload = f'{{"FailedEntryCount":{failed_count},"Entries":[{",".join(results)}]}}'.encode()
        return _response(200, payload)


def _response(status: int, payload: bytes) -> bytes:
    reason = {200: "OK", 400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error"}.get(
        status, "Error"
    )
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\n"
        f"x-amzn-RequestId: sink\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload


async def serve(
    sink: Sink,
    port: int = 0,
    ready: Callable[[int], None] | None = None,
    tls: ssl.SSLContext | None = None,
) -> None:
    """Serve until cancelled (HTTPS with `tls`); `ready(port)` is called once listening."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(sink), "127.0.0.1", port, ssl=tls)
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready(bound)
    async with server:
        await server.serve_forever()


def start_in_thread(sink: Sink, tls: ssl.SSLContext | None = None) -> tuple[int, Callable[[], None]]:
    """Serve `sink` from a daemon thread of this process (tests); returns (port, stop)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    bound: list[int] = []

    def on_ready(port: int) -> None:
        bound.append(port)
        ready.set()

    task: list[asyncio.Task[None]] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        task.append(loop.create_task(serve(sink, 0, on_ready, tls)))
        try:
            loop.run_until_complete(task[0])
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="putevents-sink", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the PutEvents sink did not start")

    def stop() -> None:
        loop.call_soon_threadsafe(task[0].cancel)
        thread.join(10)

    return bound[0], stop


def main() -> None:
    parser = argparse.ArgumentParser(description="A PutEvents endpoint on 127.0.0.1 that accepts everything.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    args = parser.parse_args()

    def ready(port: int) -> None:
        print(f"PORT {port}", flush=True)

    try:
        asyncio.run(serve(Sink(), args.port, ready))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
