"""The README's "Modules and packages" map names every package folder and top-level module it describes, so
it cannot fall behind the folders."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _map() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split("## Modules and packages", 1)[1].split("\n## ", 1)[0]


def test_every_package_folder_is_on_the_map() -> None:
    text = _map()
    folders = [
        path.parent for root in ("tooling", "tooling_testing") for path in (REPO / root).glob("*/__init__.py")
    ]

    missing = [str(f.relative_to(REPO)) for f in folders if f"{f.name}/" not in text]

    assert folders and missing == []


def test_every_shared_module_of_tooling_is_on_the_map() -> None:
    text = _map()
    modules = [
        p.name for p in (REPO / "tooling").glob("*.py") if p.name not in ("__init__.py", "__main__.py")
    ]

    assert [m for m in modules if m not in text] == []


def test_every_terraform_module_is_on_the_map() -> None:
    text = _map()
    modules = [p.name for p in (REPO / "terraform" / "modules").iterdir() if (p / "main.tf").exists()]

    assert [m for m in modules if f"`{m}`" not in text] == []
