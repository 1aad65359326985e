"""Module layout: the standard files, no provider blocks in modules, READMEs that list inputs and outputs."""

from __future__ import annotations

import pytest
from terraform_hcl import MODULE_NAMES, TERRAFORM, modules

STANDARD_FILES = ("versions.tf", "main.tf", "variables.tf", "outputs.tf", "README.md")


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_module_has_the_standard_files(name: str) -> None:
    folder = TERRAFORM / "modules" / name

    missing = [f for f in STANDARD_FILES if not (folder / f).is_file()]

    assert missing == []


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_module_declares_no_provider(name: str) -> None:
    module = modules()[name]

    assert [f for f, doc in module.docs.items() if doc.get("provider")] == []


@pytest.mark.parametrize("name", ["root", *MODULE_NAMES])
def test_versions_tf_holds_only_the_terraform_block(name: str) -> None:
    doc = modules()[name].docs["versions.tf"]

    assert [k for k in doc if not k.startswith("__")] == ["terraform"]
    # Both majors: 5.100 (the offline mirror, the e2e run) and 6.x (tf-real-check), one HCL.
    assert 'version = ">= 5.100, < 7.0"' in modules()[name].text["versions.tf"]


def test_root_pins_terraform_and_the_aws_provider() -> None:
    text = modules()["root"].text["versions.tf"]

    # removed blocks (moved.tf: the old [replication] replica is forgotten, not destroyed) need 1.7.
    assert 'required_version = ">= 1.7.0"' in text
    assert 'source  = "hashicorp/aws"' in text


@pytest.mark.parametrize("name", ["root", *MODULE_NAMES])
def test_readme_lists_every_input_and_output(name: str) -> None:
    module = modules()[name]
    readme = (module.path / "README.md").read_text()

    unlisted = [n for n in [*module.variables, *module.outputs] if f"`{n}`" not in readme]

    assert unlisted == []


def test_bootstrap_is_a_root_module_of_its_own() -> None:
    """terraform/bootstrap (state bucket, OIDC roles) is applied once by hand, never by the stack."""
    bootstrap = TERRAFORM / "bootstrap"
    versions = (bootstrap / "versions.tf").read_text()
    called = [call["source"] for module in modules().values() for call in module.module_calls.values()]

    assert {"versions.tf", "providers.tf", "variables.tf", "outputs.tf", "main.tf"} <= {
        f.name for f in bootstrap.iterdir()
    }
    assert 'version = ">= 5.100, < 7.0"' in versions
    assert [source for source in called if "bootstrap" in str(source)] == []
