"""The price files of `tooling cost`: every region the environments deploy to has one, every file holds every
price the estimate reads (it prices both environments with each file), and a damaged file is one line naming
the file and the field, a hint, exit 2."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tooling.config import load_config
from tooling.cost.estimate import estimate
from tooling.cost.prices import PRICES_DIR, available_regions, load_prices
from tooling.cost.profile import assumed_profile
from tooling.cost.sample import take_sample

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENTS = sorted((REPO / "environments").glob("*.toml"))
REGION_FILES = sorted(PRICES_DIR.glob("*.json"))


def tooling(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tooling", *args],
        capture_output=True, text=True, check=False, cwd=REPO, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip


def test_every_region_an_environment_deploys_to_has_a_price_file() -> None:
    needed = set()
    for path in ENVIRONMENTS:
        config = load_config(path)
        needed.add(config.region)
        if config.failover is not None:
            needed.add(config.failover.secondary_region)

    assert needed and needed <= set(available_regions())


@pytest.mark.parametrize("path", REGION_FILES, ids=lambda p: p.name)
def test_every_price_file_prices_every_environment(path: Path) -> None:
    # Each environment's every region priced with this file: a price the estimate reads and the file
    # lacks (a storage class, a section) fails here, not in a user's run.
    prices = load_prices(path.stem)
    for env_path in ENVIRONMENTS:
        config = load_config(env_path)
        regions = [config.region] + ([config.failover.secondary_region] if config.failover else [])
        profile = assumed_profile(config, take_sample(config), 100_000)

        report = estimate(config, profile, dict.fromkeys(regions, prices), REPO)

        assert report.total_usd > 0
        assert {line.region for line in report.lines} == set(regions)
        assert prices.as_of and prices.quotas.as_of and prices.sources


@pytest.mark.parametrize("path", REGION_FILES, ids=lambda p: p.name)
def test_a_price_file_says_where_each_figure_comes_from_and_when(path: Path) -> None:
    data = json.loads(path.read_text())

    assert all(url.startswith("https://aws.amazon.com/") for url in data["sources"].values())
    assert data["quotas"]["source"].startswith("https://docs.aws.amazon.com/eventbridge/")
    assert data["as_of"] and data["free_tier"].startswith("not applied")


def damaged(tmp_path: Path, change: Any) -> Path:
    data = json.loads((PRICES_DIR / "us-east-1.json").read_text())
    change(data)
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "us-east-1.json").write_text(json.dumps(data) if not isinstance(data, str) else data)
    return folder


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d["lambda"].pop("arm_gb_second"), "lambda.arm_gb_second: is required"),
        (lambda d: d["sqs"].update(request_per_million=0.4), "sqs.request_per_million: is not a field"),
        (
            lambda d: d["sns"].update(publishes_per_million="0.50"),
            "sns.publishes_per_million: must be a number",
        ),
        (lambda d: d["kms"].update(key_per_month=-1), "kms.key_per_month: must not be negative, not -1"),
        (lambda d: d["s3"]["storage_per_gb_month"].pop("GLACIER_IR"), "missing GLACIER_IR"),
        (lambda d: d.update(as_of="last week"), "as_of: 'last week' is not a date"),
        (
            lambda d: d.update(region="eu-west-1"),
            "region: says 'eu-west-1', but the file is named for us-east-1",
        ),
        (lambda d: d["sources"].pop("xray"), "sources: no page named for xray"),
    ],
    ids=["missing", "misspelt", "text", "negative", "storage-class", "date", "region", "source"],
)
def test_a_damaged_price_file_is_one_line_with_a_hint_and_exit_2(
    tmp_path: Path, change: Any, said: str
) -> None:
    folder = damaged(tmp_path, change)

    proc = tooling("cost", "--env", "dev", "--events-per-day", "1000", "--prices", str(folder))

    assert proc.returncode == 2, proc.stderr
    first, *rest = proc.stderr.splitlines()
    assert first.startswith(f"error: price file {folder / 'us-east-1.json'}: ")
    assert said in first
    assert rest and rest[0].startswith("  hint: ")
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_a_price_file_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "us-east-1.json").write_text('{"region": "us-east-1",\n  "lambda": NaN}')

    proc = tooling("cost", "--env", "dev", "--events-per-day", "1000", "--prices", str(folder))

    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "us-east-1.json" in proc.stderr.splitlines()[0]
    assert "hint: " in proc.stderr and "Traceback" not in proc.stderr


def test_a_region_without_a_price_file_names_the_file_and_how_to_add_it(tmp_path: Path) -> None:
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "us-east-1.json").write_text((PRICES_DIR / "us-east-1.json").read_text())

    # prod's [failover] secondary is us-west-2: the folder has no file for it.
    proc = tooling("cost", "--env", "prod", "--events-per-day", "1000", "--prices", str(folder))

    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == (
        f"error: no price file for region us-west-2: {folder / 'us-west-2.json'} does not exist "
        "(price files: us-east-1)"
    )
    assert "hint: copy us-east-1.json to us-west-2.json" in proc.stderr


def test_the_readme_costs_are_what_the_price_files_give_today() -> None:
    # The README's table of the demo's profiles, recomputed: a price file updated without the README (or
    # the README's figures edited by hand) fails here. Its date must be the files' as_of.
    readme = (REPO / "README.md").read_text()
    rows = re.findall(r"^\| (dev|prod) \([^)]*\) \| ([\d,]+) \| ([\d,.]+) \|", readme, re.MULTILINE)
    assert len(rows) == 4
    for env, events, usd in rows:
        config = load_config(REPO / "environments" / f"{env}.toml")
        regions = [config.region] + ([config.failover.secondary_region] if config.failover else [])
        profile = assumed_profile(config, take_sample(config), float(events.replace(",", "")))

        report = estimate(config, profile, {r: load_prices(r) for r in regions}, REPO)

        assert f"{report.total_usd:,.2f}" == usd, (env, events)
    dates = {f"{load_prices(r).as_of:%Y-%m-%d}" for r in available_regions()}
    assert len(dates) == 1 and f"price files of {dates.pop()}" in readme
