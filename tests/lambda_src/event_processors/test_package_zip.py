"""The handlers work as deployed: imported from the built ``build/lambda.zip``, not from the source tree.

The zip comes from the suite's session fixture ``lambda_zip`` (tests/conftest.py: ``tooling.deploy.package``, which
rebuilds it whenever lambda_src/ or requirements.txt changed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "lambda_src" / "event_processors"
EVENTS = REPO / "tests" / "events"
HANDLERS = ("event_processors.processor", "event_processors.notifier", "event_processors.analytics")

# Runs in a fresh interpreter with -S -E: no site-packages, no PYTHON* variables, so only the stdlib and the
# extracted zip can satisfy an import, as in the Lambda runtime (whose boto3 is deliberately absent here).
PROBE = r"""
import importlib, json, sys
root, events_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)

class Context:
    function_name = "ecommerce-dev-fn"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ecommerce-dev-fn"
    memory_limit_in_mb = 256
    aws_request_id = "req-1"
    def get_remaining_time_in_millis(self):
        return 30000

def event(name):
    with open(f"{events_dir}/{name}.json") as f:
        return json.load(f)

modules = {name: importlib.import_module(name) for name in sys.argv[3:]}
report = {
    "files": {name: module.__file__ for name, module in modules.items()},
    "boto3_imported": "boto3" in sys.modules,
    "processor": modules["event_processors.processor"].handler(event("order_created"), Context()),
    "analytics": modules["event_processors.analytics"].handler(event("payment_processed"), Context()),
    "notifier": modules["event_processors.notifier"].handler(event("sns_high_value_order"), Context()),
    "notifier_again": modules["event_processors.notifier"].handler(event("sns_high_value_order"), Context()),
}
print("REPORT " + json.dumps(report))
"""


def _stale_files(archive: zipfile.ZipFile) -> list[str]:
    stale = []
    for path in sorted(PACKAGE.glob("*.py")):
        name = f"event_processors/{path.name}"
        if name not in archive.namelist() or archive.read(name) != path.read_bytes():
            stale.append(path.name)
    return stale


@pytest.fixture(scope="module")
def extracted_zip(lambda_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lambda-task-root")
    with zipfile.ZipFile(lambda_zip) as archive:
        archive.extractall(root)
    return root


def test_the_zip_holds_the_current_sources(lambda_zip: Path) -> None:
    with zipfile.ZipFile(lambda_zip) as archive:
        assert _stale_files(archive) == []


def test_the_zip_holds_the_handlers_and_pure_python_dependencies_only(lambda_zip: Path) -> None:
    with zipfile.ZipFile(lambda_zip) as archive:
        names = archive.namelist()

    assert {f"{module.replace('.', '/')}.py" for module in HANDLERS} <= set(names)
    assert any(name.startswith("aws_lambda_powertools-3.37.0.dist-info/") for name in names)
    assert [name for name in names if name.endswith((".so", ".pyd", ".dylib"))] == []
    assert not any(name.startswith(("boto3/", "botocore/")) for name in names)  # the runtime provides them


def test_the_handlers_imported_from_the_zip_process_real_events(extracted_zip: Path, tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "POWERTOOLS_SERVICE_NAME": "ecommerce-events",
        "POWERTOOLS_METRICS_NAMESPACE": "EcommerceEvents",
        "LOG_LEVEL": "INFO",
        "HIGH_VALUE_THRESHOLD": "1000",
        "IDEMPOTENCY_SQLITE_PATH": str(tmp_path / "idempotency.sqlite3"),
    }

    completed = subprocess.run(
        [sys.executable, "-S", "-E", "-c", PROBE, str(extracted_zip), str(EVENTS), *HANDLERS],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    [line] = [line for line in completed.stdout.splitlines() if line.startswith("REPORT ")]
    report = json.loads(line.removeprefix("REPORT "))
    assert all(path.startswith(str(extracted_zip)) for path in report["files"].values())
    assert report["boto3_imported"] is False
    assert (report["processor"]["orderId"], report["processor"]["priority"]) == ("ord-7f3a9c", "high")
    assert report["analytics"]["source"] == "ecommerce.payments"
    assert [alert["orderId"] for alert in report["notifier"]["delivered"]] == ["ord-7f3a9c"]
    assert report["notifier_again"] == {"delivered": [], "duplicates": ["order#ord-7f3a9c"]}
