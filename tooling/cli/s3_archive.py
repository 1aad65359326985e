"""`tooling s3-archive ls|cat`: the S3 event archive (the Firehose stream's objects) on either target. Thin: the
layout, filters and decoding are tooling/observe/s3_archive.py; the bucket comes from tooling/targets.py.

`tooling archive` is the same group under its old name, kept (hidden, deprecated) so that scripts written
before the rename still run; "archive" alone now means the EventBridge archive that `tooling replay` reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tooling.cli.locking import shares_environment
from tooling.cli.options import EnvOption, JsonOption, OutputsOption, TargetOption
from tooling.errors import UsageError
from tooling.observe import s3_archive
from tooling.observe.s3_archive import S3ArchiveSource
from tooling.outputs import load_outputs, with_target
from tooling.targets import sources_for
from tooling.workspace import Workspace

s3_archive_app = typer.Typer(
    no_args_is_help=True,
    help="List and read the S3 event archive: gzip JSON lines under source=<source>/year=/month=/day=/.",
)


def _open(env: str, outputs_file: Path | None, target: str | None) -> S3ArchiveSource:
    workspace = Workspace.for_env(env)
    outputs = with_target(load_outputs(workspace, outputs_file), target)
    return sources_for(outputs, workspace).s3_archive()


def _buffered(source: S3ArchiveSource) -> int | None:
    # Only the local target knows what the stream still buffers (Firehose does not say).
    value = getattr(source, "buffered_records", None)
    return value if isinstance(value, int) else None


@s3_archive_app.command("ls")
@shares_environment("s3-archive ls")
def ls_cmd(
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="Only this event source, e.g. ecommerce.orders.")
    ] = None,
    day: Annotated[str | None, typer.Option("--date", "-d", help="Only this day (UTC), YYYY-MM-DD.")] = None,
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the archive's objects (key, size, time written), oldest key first.

    Example: tooling s3-archive ls --source ecommerce.orders --date 2026-11-30
    """
    when = s3_archive.parse_day(day)
    archive = _open(env, outputs_file, target)
    listing = s3_archive.list_s3_archive(archive, source, when)
    listing = listing.model_copy(update={"buffered_records": _buffered(archive)})
    if as_json:
        typer.echo(listing.model_dump_json())
        return
    # Plain lines, not a table: keys are long and must stay whole to be pasted into `tooling s3-archive cat`.
    typer.echo(f"s3://{listing.bucket}/{listing.prefix}", err=True)
    for obj in listing.objects:
        typer.echo(f"{obj.last_modified:%Y-%m-%d %H:%M:%S}  {obj.size:>9}  {obj.key}")
    note = f"{len(listing.objects)} object(s)"
    if listing.buffered_records:
        note += f"; {listing.buffered_records} record(s) still buffered by the stream (written after its interval)"
    typer.echo(note, err=True)


@s3_archive_app.command("cat")
@shares_environment("s3-archive cat")
def cat_cmd(
    key: Annotated[
        str | None, typer.Argument(help="Object key, as `tooling s3-archive ls` prints it.")
    ] = None,
    latest: Annotated[bool, typer.Option("--latest", help="The most recently written object.")] = False,
    env: EnvOption = "dev",
    outputs_file: OutputsOption = None,
    target: TargetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print an object's events, one JSON document per line (gunzipped).

    Example: tooling s3-archive cat --latest
    """
    if (key is None) == (not latest):
        raise UsageError(
            "give an object KEY or --latest, not both and not neither", hint="tooling s3-archive cat --latest"
        )
    archive = _open(env, outputs_file, target)
    chosen = key if key is not None else s3_archive.latest_key(archive)
    records = s3_archive.read_object(archive, chosen)
    if as_json:
        typer.echo(
            json.dumps({"bucket": archive.bucket, "key": chosen, "records": [_parsed(r) for r in records]})
        )
        return
    for record in records:
        typer.echo(record)


def _parsed(record: str) -> object:
    try:
        return json.loads(record)
    except ValueError:
        return record


def register(app: typer.Typer) -> None:
    app.add_typer(s3_archive_app, name="s3-archive")
    # The name before the rename: still runs, not listed, and click notes on stderr that it is deprecated.
    app.add_typer(s3_archive_app, name="archive", hidden=True, deprecated=True)
