"""`terraform test` on the modules: what each one computes (validations, create_* toggles, names, policies
rendered as JSON, outputs), from terraform/modules/<module>/tests/*.tftest.hcl. The static tests beside this
file keep what no plan can show (layout, variable typing, comments).

All modules run in one fixture, two at a time; the session's summary prints the count of runs and assertions
(tests/terraform/conftest.py). Skipped with the reason when terraform is older than 1.7 or no hashicorp/aws
provider can be installed (no registry, no filesystem mirror).
"""

from __future__ import annotations

import json
import time

import pytest
from tftest_runner import (
    MODULES,
    SUMMARY,
    ModuleResult,
    declared,
    modules_with_tests,
    parse,
    prepare,
    run_all,
)

# Modules without terraform tests yet, and why; every other module must have some.
UNTESTED: dict[str, str] = {}

# Modules whose tests leave out part of what they compute, and why (the test file's header says what).
PARTLY_TESTED = {
    "region_stack": "what reaches only its submodules' resources (the role names' suffix, the secondary's "
    "missing notification e-mail, the publisher policy's other bus) has no output a test could read; the "
    "submodules' own tests and tests/terraform/test_failover.py check it",
}


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, ModuleResult]:
    started = time.monotonic()
    try:
        session = prepare(tmp_path_factory.mktemp("tftest"))
    except pytest.skip.Exception as exc:
        request.config.stash[SUMMARY] = exc.msg.replace("terraform test:", "terraform test skipped:", 1)
        raise
    found = run_all(session)
    passed = [m for m, r in found.items() if r.status == "pass"]
    counts = [declared(m) for m in passed]
    line = (
        f"terraform test: {len(passed)} of {len(found)} modules passed, {sum(c.runs for c in counts)} runs, "
        f"{sum(c.asserts for c in counts)} assertions and {sum(c.expected_failures for c in counts)} expected "
        f"validation failures, in {time.monotonic() - started:.0f} s (provider from {session.provider_source})"
    )
    if failed := sorted(set(found) - set(passed)):
        line += f"; FAILED: {', '.join(failed)}"
    if session.removed:
        line += f"; adjusted in the copy for the installed provider: {', '.join(session.removed)}"
    request.config.stash[SUMMARY] = line
    return found


@pytest.mark.parametrize("module", modules_with_tests())
def test_every_run_of_the_module_passes(module: str, results: dict[str, ModuleResult]) -> None:
    result = results[module]

    assert result.status == "pass", result.problem()
    assert result.passed == declared(module).runs, (
        f"{module}: {result.passed} runs passed of {declared(module).runs}"
    )


def test_every_module_has_terraform_tests_or_says_why_not() -> None:
    modules = {p.name for p in MODULES.iterdir() if p.is_dir()}

    untested = modules - set(modules_with_tests())

    assert untested <= set(UNTESTED), (
        f"modules without tests/*.tftest.hcl: {sorted(untested - set(UNTESTED))}"
    )
    assert set(UNTESTED) <= modules, (
        f"UNTESTED names modules that are gone: {sorted(set(UNTESTED) - modules)}"
    )
    assert set(PARTLY_TESTED) <= set(modules_with_tests()), (
        f"PARTLY_TESTED names modules without tests: {sorted(set(PARTLY_TESTED) - set(modules_with_tests()))}"
    )


# What `terraform test -json` printed for a run whose assertion failed (Terraform 1.11, trimmed).
FAILED_RUN_OUTPUT = "\n".join(
    json.dumps(message)
    for message in (
        {"type": "test_abstract", "test_abstract": {"tests/routing.tftest.hcl": ["keys", "permissions"]}},
        {
            "type": "test_run",
            "test_run": {
                "path": "tests/routing.tftest.hcl",
                "run": "keys",
                "progress": "complete",
                "status": "pass",
            },
        },
        {
            "type": "diagnostic",
            "@testrun": "permissions",
            "diagnostic": {
                "severity": "error",
                "summary": "Test assertion failed",
                "detail": "One permission per rule.",
            },
        },
        {
            "type": "test_run",
            "test_run": {
                "path": "tests/routing.tftest.hcl",
                "run": "permissions",
                "progress": "complete",
                "status": "fail",
            },
        },
        {
            "type": "test_summary",
            "test_summary": {"status": "fail", "passed": 1, "failed": 1, "errored": 0, "skipped": 0},
        },
    )
)


def test_a_failed_run_is_reported_with_its_name_and_terraforms_message() -> None:
    result = parse("routing", FAILED_RUN_OUTPUT)

    assert (result.status, result.passed, result.failed) == ("fail", 1, 1)
    assert result.failed_runs == ["permissions: fail"]
    assert "permissions: Test assertion failed: One permission per rule." in result.problem()


def test_output_without_a_summary_is_not_a_pass() -> None:
    result = parse("routing", "Error: Failed to load plugin schemas\n")

    assert result.status != "pass"
