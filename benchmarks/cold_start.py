"""Cold-start import cost of each Lambda handler, imported from the built zip as Lambda would.

Each figure is the median, over fresh interpreters, of the time spent in ``import <handler module>``
(interpreter start-up excluded). Interpreters run with ``-S -E`` (no site-packages, no PYTHON* variables), so
only the stdlib and the extracted zip can satisfy an import. Two modes:

- as deployed: ``-B`` and no ``__pycache__``. The zip carries no bytecode and /var/task is read-only, so a
  real cold start compiles every imported module from source; this is the figure that matters in Lambda.
- bytecode cached: the same after a warm-up run wrote ``__pycache__``; what shipping .pyc files would give.

Baseline, measured in the same run and mode: ``from aws_lambda_powertools import Logger, Metrics`` from the
same zip, the floor any Powertools handler pays; the ratios say what this package costs relative to it.
References (this venv, bytecode cached): boto3, which only the DynamoDB idempotency store imports, on first
use; aws_xray_sdk.core, which the Powertools Tracer would import if the zip bundled it.
Measurements are interleaved (round robin) so that machine load drifts across all rows alike.

    python benchmarks/cold_start.py [--zip build/lambda.zip] [--runs 11]

Builds the zip with ``tooling.deploy.package`` when it is missing. Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from importlib.util import find_spec
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE = "from aws_lambda_powertools import Logger, Metrics"
HANDLERS = ("event_processors.processor", "event_processors.notifier", "event_processors.analytics")
REFERENCES = ("boto3", "aws_xray_sdk.core")

TIMER = """
import sys, time
if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
exec(sys.argv[2])
print(time.perf_counter() - started)
"""
ENV = {"POWERTOOLS_SERVICE_NAME": "bench", "POWERTOOLS_METRICS_NAMESPACE": "Bench"}


def run_once(root: Path | None, statement: str, *, bytecode: bool) -> float:
    flags = ["-S", "-E"] if root is not None else []
    if not bytecode:
        flags.append("-B")
    completed = subprocess.run(
        [sys.executable, *flags, "-c", TIMER, str(root or ""), statement],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    return float(completed.stdout.strip().splitlines()[-1])


def drop_bytecode(root: Path) -> None:
    for cache in root.rglob("__pycache__"):
        shutil.rmtree(cache)


def measure(rows: list[tuple[str, Path | None, str]], runs: int, *, bytecode: bool) -> dict[str, float]:
    samples: dict[str, list[float]] = {label: [] for label, _, _ in rows}
    for _ in range(runs):
        for label, root, statement in rows:
            samples[label].append(run_once(root, statement, bytecode=bytecode))
    return {label: statistics.median(values) for label, values in samples.items()}


def ensure_zip(path: Path) -> Path:
    if path.is_file():
        return path
    sys.path.insert(0, str(REPO))
    from tooling.deploy.package import build_package

    return build_package(REPO / "lambda_src", path).path


def render(title: str, figures: dict[str, float], baseline_label: str) -> None:
    baseline = figures[baseline_label]
    width = max(len(label) for label in figures)
    print(f"\n{title}")
    print(f"  {'import':<{width}}  {'ms':>8}  {'x baseline':>10}")
    for label, seconds in figures.items():
        print(f"  {label:<{width}}  {seconds * 1000:>8.1f}  {seconds / baseline:>10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Cold-start import cost of each Lambda handler.")
    parser.add_argument("--zip", type=Path, default=REPO / "build" / "lambda.zip")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()

    zip_path = ensure_zip(args.zip)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(root)
        size_kib = zip_path.stat().st_size / 1024
        print(f"zip: {zip_path} ({size_kib:.0f} KiB); python {sys.version.split()[0]}; median of {args.runs}")

        baseline_label = "powertools Logger+Metrics (baseline)"
        rows: list[tuple[str, Path | None, str]] = [(baseline_label, root, BASELINE)]
        rows += [(module, root, f"import {module}") for module in HANDLERS]

        drop_bytecode(root)
        render(
            "as deployed (no bytecode in the zip)", measure(rows, args.runs, bytecode=False), baseline_label
        )

        for _, row_root, statement in rows:  # warm-up: writes __pycache__
            run_once(row_root, statement, bytecode=True)
        cached_rows = rows + [
            (f"{name} (reference, venv)", None, f"import {name}")
            for name in REFERENCES
            if find_spec(name.split(".")[0]) is not None
        ]
        render("bytecode cached", measure(cached_rows, args.runs, bytecode=True), baseline_label)


if __name__ == "__main__":
    main()
