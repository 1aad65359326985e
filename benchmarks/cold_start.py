"""Cold-start import cost of each Lambda handler, imported from the built zip as Lambda would.

Each figure is the median, over fresh interpreters, of the time spent in ``import <handler module>``
(interpreter start-up excluded). Interpreters are of the Lambda runtime's version (``find_runtime_python``,
as `tooling package` compiles with; bytecode of another version would be ignored) and run with ``-S -E -B``
(no site-packages, no PYTHON* variables, nothing written: /var/task is read-only), so only the stdlib and
the extracted zip can satisfy an import. Two modes:

- as deployed: the zip as built, with the bytecode it ships; the figure that matters in Lambda.
- sources only: the same files without ``__pycache__``: what a zip without bytecode costs (each cold start
  compiles every imported module), the zip before bytecode was shipped.

Two references for ``from aws_lambda_powertools import Logger, Metrics``, measured in the same run:
- baseline: Powertools as a function usually ships it, in a zip without bytecode (every cold start compiles
  it). The issue's goal is each handler, as deployed, at or under this.
- floor: Powertools from this zip, with its bytecode. No Powertools handler can import faster: importing any
  aws_lambda_powertools module runs the package __init__ (Logger, Metrics and Tracer), so a handler is the
  floor plus its own modules, and the ratio to the floor is what this package's own code costs.
References (this venv's interpreter and packages, bytecode cached): boto3, which only the DynamoDB idempotency
store imports, on first use; aws_xray_sdk.core, which the Powertools Tracer would import if the zip bundled it.
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
HANDLERS = (
    "event_processors.processor",
    "event_processors.notifier",
    "event_processors.analytics",
    "event_processors.batch_processor",
)
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


def run_once(python: str, root: Path | None, statement: str) -> float:
    flags = ["-S", "-E", "-B"] if root is not None else []
    completed = subprocess.run(
        [python, *flags, "-c", TIMER, str(root or ""), statement],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    return float(completed.stdout.strip().splitlines()[-1])


def drop_bytecode(root: Path) -> None:
    for cache in root.rglob("__pycache__"):
        shutil.rmtree(cache)


Row = tuple[str, str, Path | None, str]  # label, interpreter, root (None: the venv), statement


def measure(rows: list[Row], runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {label: [] for label, _, _, _ in rows}
    for _ in range(runs):
        for label, python, root, statement in rows:
            samples[label].append(run_once(python, root, statement))
    return {label: statistics.median(values) for label, values in samples.items()}


def ensure_zip(path: Path) -> Path:
    if path.is_file():
        return path
    sys.path.insert(0, str(REPO))
    from tooling.deploy.package import build_package

    return build_package(REPO / "lambda_src", path).path


def render(title: str, figures: dict[str, float], baselines: dict[str, float]) -> None:
    """One row per import: ms, then the ratio to each baseline (named in `baselines`, label -> seconds)."""
    width = max(len(label) for label in figures)
    columns = "".join(f"  {'x ' + name:>{max(10, len(name) + 2)}}" for name in baselines)
    print(f"\n{title}")
    print(f"  {'import':<{width}}  {'ms':>8}{columns}")
    for label, seconds in figures.items():
        ratios = "".join(
            f"  {seconds / base:>{max(10, len(name) + 2)}.2f}" for name, base in baselines.items()
        )
        print(f"  {label:<{width}}  {seconds * 1000:>8.1f}{ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Cold-start import cost of each Lambda handler.")
    parser.add_argument("--zip", type=Path, default=REPO / "build" / "lambda.zip")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from tooling.deploy.package import LAMBDA_RUNTIME_PYTHON, find_runtime_python

    runtime = find_runtime_python()
    if runtime is None:
        sys.exit(f"no Python {LAMBDA_RUNTIME_PYTHON} found: the zip carries no bytecode to measure")
    python, version = runtime
    zip_path = ensure_zip(args.zip)
    with tempfile.TemporaryDirectory() as tmp:
        deployed, sources = Path(tmp) / "deployed", Path(tmp) / "sources"
        for root in (deployed, sources):
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(root)
        drop_bytecode(sources)
        size_kib = zip_path.stat().st_size / 1024
        print(
            f"zip: {zip_path} ({size_kib:.0f} KiB); python {version} (the runtime's); median of {args.runs}"
        )

        usual = "powertools Logger+Metrics, no bytecode (baseline)"
        floor = "powertools Logger+Metrics, bytecode (floor)"
        rows: list[Row] = [(usual, python, sources, BASELINE), (floor, python, deployed, BASELINE)]
        rows += [(f"{module} as deployed", python, deployed, f"import {module}") for module in HANDLERS]
        rows += [(f"{module} sources only", python, sources, f"import {module}") for module in HANDLERS]
        rows += [
            (f"{name} (reference, venv)", sys.executable, None, f"import {name}")
            for name in REFERENCES
            if find_spec(name.split(".")[0]) is not None
        ]
        figures = measure(rows, args.runs)
        baselines = {"baseline": figures[usual], "floor": figures[floor]}
        deployed_rows = {label: value for label, value in figures.items() if "as deployed" in label}
        render(
            "as deployed (bytecode from the zip): the figure that matters in Lambda", deployed_rows, baselines
        )
        render("the rest", {k: v for k, v in figures.items() if k not in deployed_rows}, baselines)
        worst = max(value / figures[usual] for value in deployed_rows.values())
        own = [(value - figures[floor]) * 1000 for value in deployed_rows.values()]
        print(
            f"\nas deployed: at most {worst:.2f}x the baseline (goal 1.0x: {'met' if worst <= 1.0 else 'not met'}); "
            f"each handler's own modules add {min(own):.1f}-{max(own):.1f} ms to the floor"
        )


if __name__ == "__main__":
    main()
