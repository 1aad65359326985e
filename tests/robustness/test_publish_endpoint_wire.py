"""`tooling publish ...` with [failover] deployed sends PutEvents through the global endpoint: what goes on the
wire, recorded by tooling_testing.sink standing in for the endpoint URL (AWS_ENDPOINT_URL, as for an emulator:
botocore then sends the EndpointId call to that URL, signed SigV4a). moto does not know global endpoints; the
boto3 engine's request is the one botocore builds, so the sink shows what botocore sends.

Both engines, every publish subcommand: body with `"EndpointId"` and the bus name, `Authorization:
AWS4-ECDSA-P256-SHA256` with a region-less credential scope, `X-Amz-Region-Set: *`. `--no-endpoint` and
`--region` sign SigV4 for that region and send no EndpointId. Refusals: awscrt missing (exit 2, nothing
sent), ResourceNotFound through the endpoint (one line naming the endpoint).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.compat
import pytest
from typer.testing import CliRunner, Result

import tooling.clients
from tooling.cli import errors
from tooling.cli.app import app
from tooling.outputs import OUTPUT_NAMES
from tooling_testing.sink import Fault, FaultPlan, Sink, start_in_thread

PRIMARY, SECONDARY = "us-east-1", "us-west-2"
BUS = "shop-prod-abc123-bus"
ENDPOINT_ID = "abcde12345.veo"
ENDPOINT_NAME = "shop-prod-abc123-endpoint"


@pytest.fixture
def outputs_file(tmp_path: Path) -> Path:
    values: dict[str, Any] = {
        "region": PRIMARY,
        "event_bus_name": BUS,
        "event_bus_arn": f"arn:aws:events:{PRIMARY}:123456789012:event-bus/{BUS}",
        "failover": {
            "endpoint_name": ENDPOINT_NAME,
            "endpoint_id": ENDPOINT_ID,
            "endpoint_arn": f"arn:aws:events:{PRIMARY}:123456789012:endpoint/{ENDPOINT_NAME}",
            "endpoint_url": f"https://{ENDPOINT_ID}.endpoint.events.amazonaws.com",
            "primary_region": PRIMARY,
            "secondary_region": SECONDARY,
            "health_check_id": "hc-1",
            "health_alarm_name": "shop-prod-abc123-failover-health",
            "replication": True,
            "secondary": {
                "region": SECONDARY,
                "event_bus_name": BUS,
                "event_bus_arn": f"arn:aws:events:{SECONDARY}:123456789012:event-bus/{BUS}",
                "archive_name": f"{BUS}-archive",
            },
        },
    }
    maps = ("rule_arns", "dead_letter_queue_urls", "function_names", "log_group_names")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({n: {"value": values.get(n, {} if n in maps else "")} for n in OUTPUT_NAMES}))
    return path


StartSink = Callable[..., Sink]


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[StartSink]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "token",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_EVENTBRIDGE", "BOTO_DISABLE_CRT", "TOOLING_ENV"):
        monkeypatch.delenv(name, raising=False)
    stops: list[Callable[[], None]] = []

    def start(faults: FaultPlan | None = None) -> Sink:
        server = Sink(faults, record=True)
        port, stop = start_in_thread(server)
        stops.append(stop)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        tooling.clients.reset()
        return server

    yield start
    for stop in stops:
        stop()
    tooling.clients.reset()


def run(outputs_file: Path, *args: str) -> Result:
    argv = ["publish", *args, "--outputs", str(outputs_file), "--target", "aws"]
    return CliRunner().invoke(app, argv, env={"TOOLING_ROOT": str(outputs_file.parent)})


def requests(server: Sink) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """(headers with lower-case names, JSON body) of every request the sink received."""
    assert server.log is not None
    seen = []
    for head, body in zip(server.log.heads, server.log.bodies, strict=True):
        lines = head.decode().split("\r\n")[1:]
        headers = {
            name.strip().lower(): value.strip() for name, _, value in (ln.partition(":") for ln in lines)
        }
        seen.append((headers, json.loads(body)))
    return seen


def _entries_file(tmp_path: Path) -> str:
    path = tmp_path / "events.jsonl"
    entry = {"Source": "ecommerce.orders", "DetailType": "Order Created", "Detail": json.dumps(_order())}
    path.write_text(json.dumps(entry) + "\n")
    return str(path)


def _order() -> dict[str, Any]:
    from tooling.publish.events import EventFactory

    entry = EventFactory(seed=3).entry("order", "Order Created")
    detail: dict[str, Any] = json.loads(entry["Detail"])
    return detail


COMMANDS = {
    "order": ("order", "--count", "2"),
    "user": ("user",),
    "payment": ("payment",),
    "inventory": ("inventory",),
    "batch": ("batch", "--count", "25"),
    "load": ("load", "--rate", "40", "--duration", "0.3"),
}


@pytest.mark.parametrize("engine", ["http", "boto3"])
@pytest.mark.parametrize("command", [*COMMANDS, "file"])
def test_every_publish_command_sends_through_the_global_endpoint(
    sink: StartSink, outputs_file: Path, engine: str, command: str
) -> None:
    server = sink()
    args = COMMANDS.get(command) or ("file", _entries_file(outputs_file.parent))

    result = run(outputs_file, *args, "--engine", engine, "--json")

    assert result.exit_code == 0, result.output
    seen = requests(server)
    assert seen
    for headers, body in seen:
        assert body["EndpointId"] == ENDPOINT_ID
        assert {entry["EventBusName"] for entry in body["Entries"]} == {BUS}
        assert headers["x-amz-region-set"] == "*"
        assert headers["authorization"].startswith("AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/")
        assert "/events/aws4_request, SignedHeaders=" in headers["authorization"]  # no region in the scope
        assert "x-amz-region-set" in headers["authorization"].split("SignedHeaders=")[1].split(",")[0]


def test_forked_batch_workers_send_through_the_endpoint(sink: StartSink, outputs_file: Path) -> None:
    """The bus (endpoint URL, SigV4a signer) is built before the workers fork; each signs in its own process."""
    server = sink()

    result = run(outputs_file, "batch", "--count", "2500", "--processes", "2", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["published"] == 2500
    seen = requests(server)
    assert sum(len(body["Entries"]) for _, body in seen) == 2500
    assert all(body["EndpointId"] == ENDPOINT_ID for _, body in seen)
    assert all(headers["x-amz-region-set"] == "*" for headers, _ in seen)


def test_the_summary_names_the_endpoint(sink: StartSink, outputs_file: Path) -> None:
    sink()

    result = run(outputs_file, "order", "--count", "2")

    assert result.exit_code == 0, result.output
    # rich wraps the line at the terminal's width.
    shown = " ".join(result.stdout.split())
    assert f"published 2 of 2 event(s) to {BUS} through the global endpoint {ENDPOINT_NAME} in" in shown


@pytest.mark.parametrize("engine", ["http", "boto3"])
@pytest.mark.parametrize(
    ("flags", "region", "shown"),
    [(("--no-endpoint",), PRIMARY, BUS), (("--region", SECONDARY), SECONDARY, f"{BUS} in {SECONDARY}")],
)
def test_no_endpoint_and_region_sign_sigv4_for_that_region(
    sink: StartSink, outputs_file: Path, engine: str, flags: tuple[str, ...], region: str, shown: str
) -> None:
    server = sink()

    result = run(outputs_file, "order", *flags, "--engine", engine)

    assert result.exit_code == 0, result.output
    assert f"published 1 of 1 event(s) to {shown} in" in " ".join(result.stdout.split())
    [(headers, body)] = requests(server)
    assert "EndpointId" not in body and "x-amz-region-set" not in headers
    assert body["Entries"][0]["EventBusName"] == BUS
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert f"/{region}/events/aws4_request" in headers["authorization"]


@pytest.mark.parametrize("engine", ["http", "boto3"])
def test_resource_not_found_through_the_endpoint_is_one_line_naming_it(
    sink: StartSink, outputs_file: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    sink(lambda n, body: Fault(status=400, code="ResourceNotFoundException"))

    result = run(outputs_file, "order", "--engine", engine)

    assert result.exit_code != 0
    assert errors.handle(result.exception, debug=False) == 1
    error, hint = capsys.readouterr().err.splitlines()
    assert error == (
        f"error: PutEvents through the global endpoint {ENDPOINT_NAME} ({ENDPOINT_ID}) failed: "
        "ResourceNotFoundException: injected ResourceNotFoundException"
    )
    assert (
        hint.startswith("  hint: the endpoint routes to us-east-1 or us-west-2") and "--no-endpoint" in hint
    )


@pytest.mark.parametrize("engine", ["http", "boto3"])
@pytest.mark.parametrize(
    ("disabled", "why"),
    [(False, "and it is not installed"), (True, "and BOTO_DISABLE_CRT=true turns it off")],
)
def test_without_awscrt_the_endpoint_is_refused_up_front(
    sink: StartSink,
    outputs_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    engine: str,
    disabled: bool,
    why: str,
) -> None:
    server = sink()
    # What botocore concludes when `import awscrt.auth` fails, or BOTO_DISABLE_CRT=true is set.
    monkeypatch.setattr(botocore.compat, "HAS_CRT", False)
    if disabled:
        monkeypatch.setenv("BOTO_DISABLE_CRT", "true")

    result = run(outputs_file, "order", "--engine", engine)

    assert errors.handle(result.exception, debug=False) == 2
    error, hint = capsys.readouterr().err.splitlines()
    assert error == (
        f"error: publishing through the global endpoint {ENDPOINT_ID} needs SigV4a signatures, which "
        f"botocore makes only with the awscrt package, {why}"
    )
    assert "--no-endpoint" in hint
    assert server.requests == 0


def test_without_awscrt_installed_the_command_refuses_and_no_endpoint_still_publishes(
    sink: StartSink, outputs_file: Path, tmp_path: Path
) -> None:
    """The real thing, in a `tooling` process whose `import awscrt` fails as it does when the package is
    absent (a module of that name first on the path raises ImportError)."""
    server = sink()
    shadow = tmp_path / "shadow"
    (shadow / "awscrt").mkdir(parents=True)
    (shadow / "awscrt" / "__init__.py").write_text("raise ImportError('No module named awscrt')\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(shadow), os.environ.get("PYTHONPATH", "")]),
        "TOOLING_ROOT": str(tmp_path),
    }
    command = [
        sys.executable,
        "-m",
        "tooling",
        "publish",
        "order",
        "--outputs",
        str(outputs_file),
        "--target",
    ]

    refused = subprocess.run([*command, "aws"], capture_output=True, text=True, env=env, timeout=60)
    aimed = subprocess.run(
        [*command, "aws", "--no-endpoint"], capture_output=True, text=True, env=env, timeout=60
    )

    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.splitlines()[0].endswith("awscrt package, and it is not installed")
    assert "make install" in refused.stderr and "Traceback" not in refused.stderr
    assert aimed.returncode == 0, aimed.stderr
    [(headers, body)] = requests(server)
    assert "EndpointId" not in body and headers["authorization"].startswith("AWS4-HMAC-SHA256")
