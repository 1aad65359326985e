"""Event schemas (`schemas/*.json`): JSON Schema draft 4 documents of the `detail` of each event we carry.

One file per event, named `<source>@<DetailTypeWithoutSpaces>.json` (EventBridge's own naming for
discovered schemas), which is also its name in the schema registry. Each file says which event it
describes in `x-amazon-events-source` and `x-amazon-events-detail-type`; loading checks that the file
name agrees. Schemas are strict about the types of the fields they name and lenient about extra fields
(`additionalProperties: true`), so a producer may add a field without breaking anyone.

Loading needs only the standard library (`tooling tfvars` passes the contents to Terraform);
`validate_detail` imports jsonschema when first called.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling import strict_json
from tooling.errors import ToolingError, UsageError
from tooling.workspace import project_root

if TYPE_CHECKING:
    from jsonschema import Draft4Validator

DRAFT4 = "http://json-schema.org/draft-04/schema#"
SOURCE_KEY = "x-amazon-events-source"
DETAIL_TYPE_KEY = "x-amazon-events-detail-type"
# aws_schemas_schema accepts names of up to 385 characters from this set.
NAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,385}$")
MAX_CONTENT_CHARS = 100_000  # EventBridge's limit for one schema's content


class SchemaError(ToolingError):
    """A file under schemas/ is not a usable event schema."""


def schema_name(source: str, detail_type: str) -> str:
    """`ecommerce.orders`, `Order Created` -> `ecommerce.orders@OrderCreated`."""
    return f"{source}@{detail_type.replace(' ', '')}"


@dataclass(frozen=True)
class EventSchema:
    name: str
    source: str
    detail_type: str
    document: dict[str, Any] = field(hash=False, compare=False)

    @property
    def content(self) -> str:
        """The document as the registry stores it: compact JSON, keys in file order."""
        return json.dumps(self.document, separators=(",", ":"), ensure_ascii=False)


def default_directory() -> Path:
    """schemas/ of the project checkout (TOOLING_ROOT); a root without one uses the source tree's, as
    project_root() itself falls back to the source tree."""
    checkout = project_root() / "schemas"
    return checkout if checkout.is_dir() else Path(__file__).resolve().parents[2] / "schemas"


def _load_file(path: Path) -> EventSchema:
    where = f"schemas/{path.name}"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{where}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(document, dict):
        raise SchemaError(f"{where}: must hold a JSON object (a JSON Schema document)")
    if document.get("$schema") != DRAFT4:
        raise SchemaError(f"{where}: $schema must be {DRAFT4!r} (the registry stores JSONSchemaDraft4)")
    source, detail_type = document.get(SOURCE_KEY), document.get(DETAIL_TYPE_KEY)
    if not isinstance(source, str) or not source or not isinstance(detail_type, str) or not detail_type:
        raise SchemaError(f"{where}: needs {SOURCE_KEY} and {DETAIL_TYPE_KEY}, the event it describes")
    name = schema_name(source, detail_type)
    if path.stem != name or not NAME_RE.match(name):
        raise SchemaError(f"{where}: describes {source} / {detail_type}, so it must be named {name}.json")
    schema = EventSchema(name=name, source=source, detail_type=detail_type, document=document)
    if len(schema.content) > MAX_CONTENT_CHARS:
        raise SchemaError(f"{where}: longer than the registry's {MAX_CONTENT_CHARS} characters")
    return schema


def load_schemas(directory: Path | None = None) -> dict[tuple[str, str], EventSchema]:
    """Every schema under `directory` (default: the checkout's schemas/), keyed by (source, detail-type)."""
    folder = directory or default_directory()
    if not folder.is_dir():
        raise SchemaError(
            f"{folder}: no schemas folder", hint="run from the project checkout, or set TOOLING_ROOT to it"
        )
    schemas: dict[tuple[str, str], EventSchema] = {}
    for path in sorted(folder.glob("*.json")):
        schema = _load_file(path)
        schemas[(schema.source, schema.detail_type)] = schema
    return schemas


def registry_contents(schemas: Mapping[tuple[str, str], EventSchema]) -> dict[str, str]:
    """Registry schema name -> content, the `schemas` variable of terraform/."""
    return {schema.name: schema.content for schema in sorted(schemas.values(), key=lambda s: s.name)}


@cache
def _validator(document_json: str) -> Draft4Validator:
    from jsonschema import Draft4Validator  # only validation needs jsonschema

    document = json.loads(document_json)
    Draft4Validator.check_schema(document)
    return Draft4Validator(document)


@cache
def _default_schemas() -> dict[tuple[str, str], EventSchema]:
    return load_schemas()


def _path(parts: Any) -> str:
    out = "$.detail"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate_detail(
    source: str,
    detail_type: str,
    detail: Any,
    schemas: Mapping[tuple[str, str], EventSchema] | None = None,
) -> list[str]:
    """Problems of one event's detail, each `<JSON path>: <what is wrong>`; empty when it is valid.

    An event without a schema is one problem (at `$.detail-type`), so a new event type cannot slip by
    unnoticed. Paths use EventBridge's input-path syntax: `$.detail.items[0].quantity`.
    """
    known = _default_schemas() if schemas is None else schemas
    schema = known.get((source, detail_type))
    if schema is None:
        missing = f"schemas/{schema_name(source, detail_type)}.json"
        return [f"$.detail-type: no schema for {detail_type!r} from {source!r} (add {missing})"]
    validator = _validator(schema.content)
    problems: set[str] = set()
    for error in validator.iter_errors(detail):
        if error.validator == "required" and isinstance(error.instance, dict):
            # One error per missing property, each naming only the whole list: report the property's path.
            for name in error.validator_value:
                if name not in error.instance:
                    problems.add(f"{_path([*error.absolute_path, name])}: is required")
        else:
            problems.add(f"{_path(error.absolute_path)}: {error.message}")
    return sorted(problems)


# AWS service events (aws.ec2, ...) published on the default bus for forwarding.
AWS_SOURCE_PREFIX = "aws."


def validate_entries(
    entries: list[dict[str, Any]],
    schemas: Mapping[tuple[str, str], EventSchema] | None = None,
    max_problems: int = 10,
) -> None:
    """Refuse (UsageError, exit 2) PutEvents entries whose detail breaks its schema, before anything is
    sent: every problem as `event <n>: <JSON path>: <reason>` (n counts from 1)."""
    problems: list[str] = []
    for number, entry in enumerate(entries, start=1):
        try:
            detail = strict_json.loads(entry.get("Detail") or "{}", "$.detail")
        except strict_json.JSONRefused as exc:
            problems.append(f"event {number}: $.detail: {exc.problem}")
            continue
        except ValueError:
            problems.append(f"event {number}: $.detail: not valid JSON")
            continue
        source, detail_type = str(entry.get("Source", "")), str(entry.get("DetailType", ""))
        if source.startswith(AWS_SOURCE_PREFIX):
            continue  # AWS defines its services' events (the aws.events registry), schemas/ does not
        problems += [f"event {number}: {p}" for p in validate_detail(source, detail_type, detail, schemas)]
    if problems:
        shown = problems[:max_problems]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        first = shown[0] if len(entries) == 1 and len(shown) == 1 else ""
        raise UsageError(
            (
                f"event refused by its schema: {first.removeprefix('event 1: ')}"
                if first
                else f"{len(problems)} schema problem(s), nothing sent:\n  " + "\n  ".join(shown) + more
            ),
            hint="fix the event (schemas/ holds the JSON Schemas), or skip the check with --no-validate",
        )


# The business id of each kind of event, shown when one event is published (first present wins).
BUSINESS_ID_KEYS = ("orderId", "userId", "paymentId", "productId")
# The id an event of each source is about: a payment carries its order's id too, but it is the payment's.
_BUSINESS_ID_BY_SOURCE = {
    "ecommerce.orders": "orderId",
    "ecommerce.users": "userId",
    "ecommerce.payments": "paymentId",
    "ecommerce.inventory": "productId",
}


def business_id(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    """(key, value) of the entry's business id (orderId for an order, paymentId for a payment, ...), or
    None."""
    try:
        detail = json.loads(entry.get("Detail") or "{}")
    except ValueError:
        return None
    if isinstance(detail, dict):
        own = _BUSINESS_ID_BY_SOURCE.get(str(entry.get("Source")))
        for key in (own, *BUSINESS_ID_KEYS) if own else BUSINESS_ID_KEYS:
            if isinstance(detail.get(key), str | int):
                return key, str(detail[key])
    return None


# The ids a re-send can recognise an event by: the producer's idempotency key, then its business id.
EVENT_ID_KEYS = ("idempotencyKey", *BUSINESS_ID_KEYS)


def event_ids(entry: Mapping[str, Any]) -> dict[str, str]:
    """The entry's own ids found at the top of its detail (idempotencyKey, orderId, ...), key -> value."""
    try:
        detail = json.loads(entry.get("Detail") or "{}")
    except ValueError:
        return {}
    if not isinstance(detail, dict):
        return {}
    return {key: str(detail[key]) for key in EVENT_ID_KEYS if isinstance(detail.get(key), str | int)}
