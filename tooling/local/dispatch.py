"""The dispatcher: runs queued Lambda deliveries on the functions' warm workers, threads per function.

Only one dispatcher works on an environment at a time (an flock on `.tooling/<env>/dispatcher.lock`).
`drain()` dispatches in-process until nothing is pending, or waits for the dispatcher that holds the lock.
After PutEvents queues work, the local bus starts a background dispatcher (`python -m tooling.local.background`)
so that a CLI `publish` gets its events processed like Lambda's asynchronous invocations would be; it exits
after a short idle period. A delivery claimed by a dispatcher that died is reset when the next one starts:
delivery is at least once, as in AWS.

The background dispatcher holds the environment's lock SHARED (tooling/envlock.py) while it runs, and is
never stopped by a signal: an `apply`, `destroy` or `demo` that wants the environment records itself as an
exclusive waiter, which the dispatcher sees within its poll and exits (a starting one does not start).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from tooling.envlock import Mode, env_lock, env_lock_if_free, exclusive_requested, held
from tooling.local import event_source, firehose, replication
from tooling.local.delivery import Tally, settle
from tooling.local.engine import Engine
from tooling.local.regions import open_regions
from tooling.local.store import Store, db_path, expire_archive
from tooling.local.worker import FunctionSpec, Worker
from tooling.workspace import Workspace, create_private, open_lock, write_file

LOCK_NAME = "dispatcher.lock"
LOG_NAME = "dispatcher.log"
SPAWN_MARK = "dispatcher.starting"
# A dispatcher started this recently and not yet holding the lock is still starting: do not start another.
SPAWN_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.05
# How long a background dispatcher keeps its workers warm, waiting for more work, before it exits.
BACKGROUND_IDLE_SECONDS = 3.0
ENV_DISPATCH = "TOOLING_LOCAL_DISPATCH"  # "background" (default) or "off"
# Lambda scales out when its instances are busy: a function whose oldest due delivery has waited this long
# gets one more warm worker, up to MAX_INSTANCES.
SCALE_OUT_SECONDS = 1.0
MAX_INSTANCES = 4
# How often the dispatcher looks for S3 archive buffers that fell due (Firehose's interval is in seconds).
S3_ARCHIVE_CHECK_SECONDS = 0.5


@dataclass(kw_only=True)
class DrainResult(Tally):
    """What `drain` did: the tally of its invocations, and `complete` when nothing was left pending."""

    complete: bool
    pending: int
    seconds: float
    waited_for_other_dispatcher: bool = False

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def pending_count(store: Store) -> int:
    """Queued invocations, plus messages an event source mapping has yet to take (visible ones: a
    message hidden by its visibility timeout is not due until it reappears), plus copies its bus has yet
    to replicate to the other region ([failover])."""
    return (
        int(store.scalar("SELECT COUNT(*) FROM deliveries") or 0)
        + event_source.visible_waiting(store)
        + replication.pending(store)
    )


def background_work(store: Store) -> int:
    """Deliveries to run plus records the S3 archive's stream still buffers: what a background dispatcher
    is needed for."""
    return pending_count(store) + firehose.buffered_count(store)


def regions_work(stores: Sequence[Store]) -> int:
    """`background_work` of every region of the environment."""
    return sum(background_work(store) for store in stores)


@contextmanager
def dispatcher_lock(workspace: Workspace) -> Iterator[bool]:
    """Yield True while holding the environment's dispatcher lock, False when another process holds it."""
    workspace.ensure()
    path = workspace.state_dir / LOCK_NAME
    fh = open_lock(path)
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    finally:
        fh.close()


def lock_held(workspace: Workspace) -> bool:
    path = workspace.state_dir / LOCK_NAME
    if not path.exists():
        return False
    with open_lock(path) as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return False


class Dispatcher:
    """Runs due deliveries: per function a thread with its own warm worker, started when the function has
    work and gone when it has none, so no function ever waits for another. A failed attempt is given a due
    time (`not_before`) and the thread moves on to the next due delivery: a retry is never slept on while
    other work waits. A function whose oldest due delivery has waited SCALE_OUT_SECONDS gets another
    instance (as Lambda scales out), up to MAX_INSTANCES, so one slow or timing-out event does not hold
    the others of its function either."""

    def __init__(
        self,
        workspace: Workspace,
        store: Store,
        *,
        yield_to_exclusive: bool = False,
        regions: Sequence[Store] = (),
    ) -> None:
        self.workspace = workspace
        self.store = store
        # [failover]: the secondary region's store too; its functions run here as well, and replication
        # moves each bus's copies to the other.
        self.stores = [store, *regions]
        self._engines: list[Engine] | None = None
        # The background dispatcher gives the environment up to an apply/destroy/demo that waits for it;
        # an in-process drain (the demo's own) must not.
        self.yield_to_exclusive = yield_to_exclusive
        self.workers: dict[tuple[int, str, int], Worker] = {}
        self.tally = Tally()
        self._tally_lock = threading.Lock()
        self._stop = threading.Event()
        self._s3_archive_checked_at = 0.0
        self._s3_archive_due: float | None = None

    def close(self) -> None:
        self._stop.set()
        for worker in list(self.workers.values()):
            worker.stop()
        self.workers.clear()

    def _worker(self, region: int, spec: FunctionSpec, slot: int) -> Worker:
        worker = self.workers.get((region, spec.key, slot))
        if worker is None or worker.spec.identity() != spec.identity():
            if worker is not None:
                worker.stop()
            worker = Worker(spec, self.workspace.state_dir / "workers")
            self.workers[(region, spec.key, slot)] = worker
        return worker

    def _claim(self, store: Store, function_key: str, worker: Worker) -> sqlite3.Row | None:
        """Claim the function's next due delivery, recording where the worker's output of it will be (so a
        crash mid-invocation keeps its log lines: see `recover`)."""
        now = time.time()
        with store.transaction() as conn:
            delivery: sqlite3.Row | None = conn.execute(
                "SELECT * FROM deliveries WHERE function_key = ? AND claimed = 0 AND not_before <= ? "
                "ORDER BY not_before, id LIMIT 1",
                (function_key, now),
            ).fetchone()
            if delivery is None:
                return None
            conn.execute(
                "UPDATE deliveries SET claimed = 1, capture_path = ?, capture_offset = ?, capture_stream = ? "
                "WHERE id = ?",
                (
                    None if worker.capture_path is None else str(worker.capture_path),
                    worker.offset,
                    worker.log_stream,
                    delivery["id"],
                ),
            )
        return delivery

    @staticmethod
    def _function(store: Store, function_key: str) -> sqlite3.Row | None:
        rows = store.query("SELECT * FROM functions WHERE key = ?", (function_key,))
        return rows[0] if rows else None

    def _run_function(self, region: int, function_key: str, slot: int, deadline: float) -> None:
        store = self.stores[region]
        while not self._stop.is_set() and time.time() < deadline:
            function = self._function(store, function_key)
            if function is None:  # the function was removed by a later apply: drop what was queued for it
                with store.transaction() as conn:
                    conn.execute("DELETE FROM deliveries WHERE function_key = ?", (function_key,))
                return
            worker = self._worker(region, FunctionSpec(function), slot)
            worker.ensure_started()
            delivery = self._claim(store, function_key, worker)
            if delivery is None:
                next_due = store.scalar(
                    "SELECT MIN(not_before) FROM deliveries WHERE function_key = ? AND claimed = 0",
                    (function_key,),
                )
                if next_due is None or slot > 0:  # extra instances leave the waiting to the first
                    return
                # Nothing of this function is due: wait for its next due time (other functions have their
                # own threads; new work for this one is picked up within the poll interval).
                time.sleep(min(max(0.0, float(next_due) - time.time()), POLL_SECONDS * 4))
                continue
            outcome = worker.invoke(delivery["payload"], delivery["request_id"])
            with self._tally_lock:
                if delivery["source"] == event_source.SOURCE:  # a synchronous batch of the SQS mapping
                    event_source.settle_batch(store, delivery, function, outcome, self.tally)
                else:
                    settle(store, delivery, function, outcome, self.tally)

    def _deliver_s3_archive_buffers(self, now: float) -> float | None:
        """Write the S3 archive's buffers that are due; the next due time while any remain."""
        # A GROUP BY over the buffer: asked at most every S3_ARCHIVE_CHECK_SECONDS, not at every poll.
        if now - self._s3_archive_checked_at < S3_ARCHIVE_CHECK_SECONDS:
            return self._s3_archive_due
        self._s3_archive_checked_at = now
        due = firehose.next_due(self.store)
        if due is not None and due <= now:
            firehose.flush(self.store, self.workspace, now=now)
            due = firehose.next_due(self.store)
        self._s3_archive_due = due
        return due

    def _replicate(self) -> int:
        """[failover] replication: each bus's copies onto the other region's bus (tooling/local/replication)."""
        if len(self.stores) < 2:
            return 0
        if self._engines is None:
            self._engines = [Engine(store) for store in self.stores]
        return replication.forward_all(self.stores, self._engines)

    @staticmethod
    def _scale_out(store: Store, function_key: str, running: int, now: float) -> bool:
        if running >= MAX_INSTANCES:
            return False
        oldest_due = store.scalar(
            "SELECT MIN(not_before) FROM deliveries WHERE function_key = ? AND claimed = 0 AND not_before <= ?",
            (function_key, now),
        )
        return oldest_due is not None and now - float(oldest_due) >= SCALE_OUT_SECONDS

    def run(self, deadline: float, *, idle_seconds: float = 0.0) -> None:
        """Dispatch until nothing is pending (then wait `idle_seconds` for more) or the deadline passes."""
        # Every region's claims are recovered before any worker of this dispatcher starts: the capture
        # files of the dead dispatcher's workers are removed once, after all of them were read.
        for store in self.stores:
            recover(self.workspace, store, clear=False)
            expire_archive(store)
        clear_captures(self.workspace)
        threads: dict[tuple[int, str], list[threading.Thread]] = {}
        idle_since: float | None = None
        try:
            while time.time() < deadline and not self._stop.is_set():
                if self.yield_to_exclusive and exclusive_requested(self.workspace) is not None:
                    return
                now = time.time()
                threads = {k: [t for t in ts if t.is_alive()] for k, ts in threads.items()}
                threads = {k: ts for k, ts in threads.items() if ts}
                self._replicate()
                keys: list[tuple[int, str]] = []
                waiting = 0
                for region, store in enumerate(self.stores):
                    # The SQS mappings' pollers: batches that are due become deliveries of their function.
                    event_source.poll(store, now)
                    keys += [
                        (region, str(row[0]))
                        for row in store.query("SELECT DISTINCT function_key FROM deliveries")
                    ]
                    # Copies not yet due for the other region keep the dispatcher here too.
                    waiting += event_source.visible_waiting(store, now) + replication.pending(store)
                buffered = self._deliver_s3_archive_buffers(now)
                if not keys and not threads and not waiting and buffered is not None and idle_seconds > 0:
                    # Only Firehose buffers wait: sleep until the next one falls due (the background
                    # dispatcher outlives them, as Firehose delivers whether or not anyone is looking).
                    time.sleep(min(max(POLL_SECONDS, buffered - now), 1.0))
                    continue
                if not keys and not threads and not waiting:
                    idle_since = idle_since or now
                    if now - idle_since >= idle_seconds:
                        return
                    time.sleep(POLL_SECONDS * 4)
                    continue
                idle_since = None
                for key in keys:
                    region, function_key = key
                    running = threads.setdefault(key, [])
                    if not running or self._scale_out(self.stores[region], function_key, len(running), now):
                        slot = len(running)
                        thread = threading.Thread(
                            target=self._run_function,
                            args=(region, function_key, slot, deadline),
                            name=f"local-{region}-{function_key}-{slot}",
                            daemon=True,
                        )
                        thread.start()
                        running.append(thread)
                time.sleep(POLL_SECONDS)
        finally:
            self._stop.set()
            for running in threads.values():
                for thread in running:
                    thread.join()


def recover(workspace: Workspace, store: Store, *, clear: bool = True) -> int:
    """Deliveries a dead dispatcher had claimed run again (at least once, as in AWS). What the function
    wrote before the crash is kept: the lines in the worker's capture file past the recorded offset are
    stored with an `interrupted` invocation, in one transaction (both or neither). Returns how many.
    `clear=False` leaves the capture files for the recovery of another region's store."""
    claimed = store.query(
        "SELECT d.*, f.log_group FROM deliveries d LEFT JOIN functions f ON f.key = d.function_key "
        "WHERE d.claimed = 1"
    )
    now = time.time()
    with store.transaction() as conn:
        for delivery in claimed:
            lines = _interrupted_lines(delivery["capture_path"], delivery["capture_offset"])
            if lines and delivery["log_group"] is not None:
                stream = delivery["capture_stream"] or ""
                conn.executemany(
                    "INSERT INTO logs (log_group, log_stream, ts, message) VALUES (?, ?, ?, ?)",
                    [(delivery["log_group"], stream, now, line) for line in lines],
                )
                conn.execute(
                    "INSERT INTO invocations (function_key, request_id, event_id, rule_key, attempt, started_at, "
                    "duration_ms, status, error_type, error_message, result) "
                    "VALUES (?, ?, ?, ?, ?, ?, 0, 'interrupted', 'Local.DispatcherStopped', ?, NULL)",
                    (
                        delivery["function_key"],
                        delivery["request_id"],
                        delivery["event_id"],
                        delivery["rule_key"],
                        int(delivery["attempts"]) + 1,
                        now,
                        "the dispatcher stopped during this invocation; it runs again",
                    ),
                )
        conn.execute(
            "UPDATE deliveries SET claimed = 0, capture_path = NULL, capture_offset = NULL, "
            "capture_stream = NULL WHERE claimed = 1"
        )
    if clear:
        clear_captures(workspace)
    return len(claimed)


def clear_captures(workspace: Workspace) -> None:
    """The dead dispatcher's workers exit at the end of their invocation (their stdin is gone): their
    capture files go."""
    for leftover in (workspace.state_dir / "workers").glob("*.log"):
        leftover.unlink(missing_ok=True)


def _interrupted_lines(path: str | None, offset: int | None) -> list[str]:
    if not path:
        return []
    try:
        with open(path, "rb") as fh:
            fh.seek(int(offset or 0))
            data = fh.read()
    except OSError:
        return []
    return [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]


def drain(workspace: Workspace, timeout: float) -> DrainResult:
    """Process pending deliveries until none remain or `timeout` seconds pass (holding the environment's
    lock SHARED: re-entrant, so the demo's drain runs under its own EXCLUSIVE hold)."""
    with env_lock(workspace, Mode.SHARED, command="drain", wait_timeout=timeout):
        return _drain(workspace, timeout)


def _drain(workspace: Workspace, timeout: float) -> DrainResult:
    begin = time.monotonic()
    deadline = time.time() + timeout
    stores = open_regions(workspace)
    waited = False
    try:
        while True:
            with dispatcher_lock(workspace) as mine:
                if mine:
                    dispatcher = Dispatcher(workspace, stores[0], regions=stores[1:])
                    try:
                        dispatcher.run(deadline)
                    finally:
                        dispatcher.close()
                    pending = sum(pending_count(store) for store in stores)
                    return DrainResult(
                        complete=pending == 0,
                        pending=pending,
                        seconds=time.monotonic() - begin,
                        waited_for_other_dispatcher=waited,
                        **asdict(dispatcher.tally),
                    )
            # Another dispatcher is at work: wait for it to finish (or die, then take over).
            waited = True
            pending = sum(pending_count(store) for store in stores)
            if pending == 0 or time.time() >= deadline:
                return DrainResult(
                    complete=pending == 0,
                    pending=pending,
                    seconds=time.monotonic() - begin,
                    waited_for_other_dispatcher=True,
                )
            time.sleep(POLL_SECONDS)
    finally:
        for store in stores:
            store.close()


def background_enabled() -> bool:
    return os.environ.get(ENV_DISPATCH, "background").strip().lower() not in ("off", "0", "false", "no")


def spawn_background_dispatcher(workspace: Workspace) -> bool:
    """Start a detached dispatcher for the environment unless one is running; True when one was started.
    None is started while an apply, destroy or demo holds or waits for the environment (the dispatcher
    would exit at once), in particular not by the demo itself: it drains in-process."""
    if not background_enabled() or lock_held(workspace) or not db_path(workspace).is_file():
        return False
    if held(workspace) is Mode.EXCLUSIVE or exclusive_requested(workspace) is not None:
        return False
    mark = workspace.state_dir / SPAWN_MARK
    try:
        if time.time() - mark.stat().st_mtime < SPAWN_GRACE_SECONDS:
            return False
    except FileNotFoundError:
        pass
    write_file(mark, f"{time.time()}\n")
    log: IO[bytes] = os.fdopen(
        os.open(create_private(workspace.state_dir / LOG_NAME), os.O_WRONLY | os.O_APPEND), "ab"
    )
    try:
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tooling.local.background",
                "--root",
                str(workspace.root),
                "--env",
                workspace.env,
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            cwd=str(workspace.root),
            start_new_session=True,
        )
    finally:
        log.close()
    return True


def resume(workspace: Workspace) -> bool:
    """Deliveries left pending (by a crash, or a publish without a dispatcher) get a dispatcher."""
    if not db_path(workspace).is_file():
        return False
    stores = open_regions(workspace)
    try:
        pending = regions_work(stores)
    finally:
        for store in stores:
            store.close()
    return pending > 0 and spawn_background_dispatcher(workspace)


def main(argv: list[str]) -> int:
    """The background dispatcher process (see tooling/local/background.py)."""
    parser = argparse.ArgumentParser(prog="python -m tooling.local.background", description=__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--env", required=True)
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    args = parser.parse_args(argv)
    workspace = Workspace(root=args.root.resolve(), env=args.env)

    def _terminate(signum: int, frame: object) -> None:
        raise SystemExit(0)

    # A user's `kill` still ends it cleanly (locks released, workers stopped); the tooling never sends one.
    signal.signal(signal.SIGTERM, _terminate)
    with env_lock_if_free(workspace, Mode.SHARED, command="dispatcher") as mine:
        try:
            # Without the lock an apply, destroy or demo has the environment, or is about to: not ours to run.
            if not mine or not db_path(workspace).is_file():
                return 0
            return _dispatch(workspace, time.time() + args.max_seconds)
        finally:
            # Before the lock goes: once it is released, nothing here touches the environment's folder.
            (workspace.state_dir / SPAWN_MARK).unlink(missing_ok=True)


def _dispatch(workspace: Workspace, deadline: float) -> int:
    stores = open_regions(workspace)
    try:
        while time.time() < deadline and exclusive_requested(workspace) is None:
            with dispatcher_lock(workspace) as mine:
                (workspace.state_dir / SPAWN_MARK).unlink(missing_ok=True)
                if not mine:
                    return 0
                dispatcher = Dispatcher(workspace, stores[0], yield_to_exclusive=True, regions=stores[1:])
                try:
                    dispatcher.run(deadline, idle_seconds=BACKGROUND_IDLE_SECONDS)
                finally:
                    dispatcher.close()
            # Work queued between the last idle check and the lock's release would wait for the next
            # command: take it now instead.
            if regions_work(stores) == 0:
                return 0
    finally:
        for store in stores:
            store.close()
    return 0
