"""Provision (and destroy) the local target from the validated Config: the same bus, archive, rules,
targets, queues, topic and functions Terraform declares, recorded in the environment's SQLite database.

Re-applying is idempotent: rows are upserted, changed rules and targets are replaced, rules that left the
routing table are removed; queued messages, the archive, logs and metrics are kept.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import zipfile
from collections.abc import Mapping
from pathlib import Path

from tooling.config import BATCH_PROCESSOR, S3_ARCHIVE_TARGET, Config, Target
from tooling.deploy.package import PackageResult
from tooling.deploy.tfvars import HANDLERS
from tooling.envlock import DEFAULT_WAIT_TIMEOUT, Mode, env_lock
from tooling.errors import PackageError
from tooling.local import secondary
from tooling.local.alarms import provision_alarms
from tooling.local.bucket import bucket_root
from tooling.local.drift import record_applied
from tooling.local.event_store_source import EVENT_STORE_FILE
from tooling.local.forwarding import forwarding_rule_for, provision_forwarding
from tooling.local.regions import META_KEY as REGION_META_KEY
from tooling.local.regions import REPLICATION_KEY, ROLE_KEY, SECONDARY, secondary_db_files, secondary_db_path
from tooling.local.store import DB_NAME, Store, expire_archive
from tooling.naming import ACCOUNT_ID, Arns, Names, log_group, state_machine_log_group
from tooling.observe.alarm_catalogue import Family, check_thresholds, load_catalogue
from tooling.order_workflow import STATE_MACHINE_TYPE, WORKFLOW_TARGET
from tooling.outputs import DeploymentOutputs
from tooling.webhook import LOCAL_PARAMETERS_FILE, local_parameters_path, write_local_parameters
from tooling.workspace import (
    DIR_MODE,
    FILE_MODE,
    PRIVATE_DIR_MODE,
    Workspace,
    create_private,
    make_dir,
    write_file,
)

# Queue settings Terraform gives the batch queue (visibility above the consumer's timeout; 5 receives
# before the redrive to its DLQ) and DLQs (nothing consumes them: receives never move their messages).
BATCH_VISIBILITY_SECONDS = 60
BATCH_MAX_RECEIVE_COUNT = 5
DLQ_VISIBILITY_SECONDS = 30
EVENTS_DLQ = "events"
BATCH_DLQ = "batch-queue"
# The SNS subscription's redrive DLQ (Terraform's messaging module); SNS-level delivery failures land here.
NOTIFICATIONS_DLQ = "notifications"
# What a region without consumers does not have (the event source mapping's table included).
NO_CONSUMER_TABLES = (
    "queues", "functions", "subscriptions", "rules", "targets", "state_machines", "event_source_mappings"
)  # fmt: skip


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def function_environment(key: str, config: Config, workspace: Workspace) -> dict[str, str]:
    """The environment variables Terraform sets on the function, with the local idempotency store."""
    env = {
        "POWERTOOLS_SERVICE_NAME": key,
        "POWERTOOLS_METRICS_NAMESPACE": "EcommerceEvents",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "LOG_LEVEL": "INFO",
        "HIGH_VALUE_THRESHOLD": _number_text(config.processing.high_value_threshold),
        "AWS_REGION": config.region,
        "AWS_DEFAULT_REGION": config.region,
    }
    if key == "notifier":
        env["IDEMPOTENCY_SQLITE_PATH"] = str(workspace.state_dir / "idempotency.sqlite")
        # As in AWS, only the parameter's name: the URL is read at run time, here from the local
        # parameter store (tooling/webhook.py) instead of SSM.
        if config.processing.webhook_parameter is not None:
            env["WEBHOOK_PARAMETER"] = config.processing.webhook_parameter
            env["LOCAL_PARAMETERS_FILE"] = str(local_parameters_path(workspace))
    if key == BATCH_PROCESSOR:
        if config.event_store.enabled:
            env["EVENT_STORE_SQLITE_PATH"] = str(workspace.state_dir / EVENT_STORE_FILE)
            env["EVENT_STORE_TTL_DAYS"] = str(config.event_store.ttl_days)
        else:
            env["EVENT_STORE_DISABLED"] = "true"
    return env


def async_function_keys(config: Config) -> list[str]:
    """The functions invoked asynchronously (EventBridge, SNS), which have a dead-letter queue; the batch
    processor is invoked synchronously by its SQS mapping and has none (as in terraform/modules/processors)."""
    return [key for key, _ in config.deployed_functions() if key != BATCH_PROCESSOR]


def extract_code(workspace: Workspace, package: PackageResult) -> Path:
    """Unpack the zip once per content hash into `.tooling/<env>/code/<sha>/` (the function's /var/task)."""
    root = workspace.state_dir / "code"
    dest = root / package.sha256[:16]
    if (dest / ".complete").is_file():
        return dest
    tmp = root / f".{package.sha256[:16]}.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    make_dir(tmp)
    try:
        with zipfile.ZipFile(package.path) as zf:
            zf.extractall(tmp)
    except (OSError, zipfile.BadZipFile) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise PackageError(
            f"cannot unpack {package.path}: {exc}", hint="rebuild it: tooling package"
        ) from None
    # extractall creates with the umask's modes (world-writable under umask 000): the code is read-only
    # to everyone but its owner, as /var/task is.
    for folder, _dirs, files in os.walk(tmp):
        os.chmod(folder, DIR_MODE)
        for name in files:
            os.chmod(os.path.join(folder, name), FILE_MODE)
    write_file(tmp / ".complete", package.sha256 + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    # Older code versions are no longer referenced by any function.
    for old in root.iterdir():
        if old != dest and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return dest


# What Lambda's Python runtime provides next to the function's code (/var/runtime): the AWS SDK stack.
RUNTIME_LIBRARIES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def runtime_libraries(workspace: Workspace) -> Path:
    """`.tooling/<env>/runtime/`: links to the SDK stack only, the worker's stand-in for /var/runtime (so a
    handler that imports anything else the zip does not hold fails here as it would in Lambda)."""
    folder = make_dir(workspace.state_dir / "runtime")
    for name in RUNTIME_LIBRARIES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        link = folder / source.name
        if link.is_symlink() or link.exists():
            if link.resolve() == source.resolve():
                continue
            link.unlink()
        link.symlink_to(source)
    return folder


def _target_arn(target: Target, names: Names, arns: Arns) -> str:
    if target.target == "batch-queue":
        return arns.queue(names.batch_queue)
    if target.target == "notifications":
        return arns.topic(names.topic)
    if target.target == WORKFLOW_TARGET:
        return arns.state_machine(names.state_machine)
    if target.target == S3_ARCHIVE_TARGET:
        return arns.delivery_stream(names.s3_archive_stream)
    return arns.function(names.function(target.target))


def outputs_for(config: Config, names: Names, arns: Arns) -> DeploymentOutputs:
    functions = {key: names.function(key) for key, _ in config.deployed_functions()}
    dlqs = [EVENTS_DLQ, BATCH_DLQ, NOTIFICATIONS_DLQ, *async_function_keys(config)]
    store_enabled = config.batch_processor.enabled and config.event_store.enabled
    return DeploymentOutputs(
        target="local",
        environment=config.environment,
        region=config.region,
        event_bus_name=names.bus,
        event_bus_arn=arns.event_bus(names.bus),
        archive_name=names.archive,
        rule_arns={rule.name: arns.rule(names.bus, names.rule(rule.name)) for rule in config.rules},
        batch_queue_url=arns.queue_url(names.batch_queue),
        batch_queue_arn=arns.queue(names.batch_queue),
        dead_letter_queue_urls={key: arns.queue_url(names.dlq(key)) for key in dlqs},
        notifications_topic_arn=arns.topic(names.topic),
        function_names=functions,
        log_group_names={key: log_group(name) for key, name in functions.items()},
        forwarding_rule_arn=""
        if not config.forwarding.enabled
        else arns.default_bus_rule(names.forwarding_rule),
        s3_archive_bucket_name=names.s3_archive_bucket if config.creates_s3_archive else "",
        s3_archive_stream_name=names.s3_archive_stream if config.creates_s3_archive else "",
        event_store_table_name=names.event_store if store_enabled else "",
        publisher_policy_arn="",  # the local target has no IAM
    )


def _upsert_queue(
    conn: sqlite3.Connection,
    arns: Arns,
    name: str,
    role: str,
    visibility: int,
    redrive: str | None = None,
    max_receive: int | None = None,
) -> None:
    conn.execute(
        "INSERT INTO queues (url, name, arn, role, visibility_timeout, redrive_url, max_receive_count) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET role = excluded.role, "
        "visibility_timeout = excluded.visibility_timeout, redrive_url = excluded.redrive_url, "
        "max_receive_count = excluded.max_receive_count",
        (arns.queue_url(name), name, arns.queue(name), role, visibility, redrive, max_receive),
    )


def provision(workspace: Workspace, config: Config, package: PackageResult) -> DeploymentOutputs:
    """Create or update everything of the environment on the local target; return its outputs. With
    [failover], the secondary region too (tooling/local/regions.py), and the endpoint in the outputs."""
    if not package.path.is_file():
        raise PackageError(f"{package.path} does not exist", hint="build it first: tooling package")
    workspace.ensure()
    # First: a webhook parameter without a valid local URL is refused before anything changes.
    write_local_parameters(workspace, config)
    # The alarms Terraform's monitoring module creates (a catalogue it cannot read is refused here too).
    alarm_families = load_catalogue(workspace.root)
    check_thresholds(alarm_families, config.alarms.thresholds())
    names = Names.of(config, workspace.name_suffix())
    arns = Arns(config.region, ACCOUNT_ID)
    outputs = outputs_for(config, names, arns)
    code_dir = extract_code(workspace, package)
    runtime_libraries(workspace)
    # The notifier's idempotency records hold event data: owner-only, created before the function runs.
    create_private(workspace.state_dir / "idempotency.sqlite")
    # So are the stored events (the batch processor creates the table on its first write).
    create_private(workspace.state_dir / EVENT_STORE_FILE)
    endpoint = None
    if config.failover is not None:
        # The secondary region first: the primary's store names it only once it exists.
        region_config = secondary.region_config(config)
        region_arns = Arns(region_config.region, ACCOUNT_ID)
        region_outputs = secondary.region_outputs(
            outputs_for(region_config, names, region_arns), config.failover.secondary_consumers
        )
        endpoint = secondary.endpoint_of(config, names, arns)
        store = Store(secondary_db_path(workspace, region_config.region), create=True)
        try:
            _provision_region(
                store, region_config, workspace, names, region_arns, code_dir, package.sha256,
                region_outputs, {ROLE_KEY: SECONDARY, **secondary.replication_meta(config)}, alarm_families,
                consumers=config.failover.secondary_consumers,
            )  # fmt: skip
        finally:
            store.close()
        outputs = outputs.model_copy(
            update={"failover": secondary.failover_outputs(endpoint, region_config, region_outputs)}
        )
    store = Store.open(workspace, create=True)
    try:
        extra = (
            {}
            if endpoint is None
            else {REGION_META_KEY: endpoint.to_json(), **secondary.replication_meta(config)}
        )
        _provision_region(
            store, config, workspace, names, arns, code_dir, package.sha256, outputs, extra, alarm_families
        )  # fmt: skip
    finally:
        store.close()
    # A region that is no longer secondary (no [failover], or another secondary_region) goes, as Terraform
    # destroys what left the configuration.
    keep = None if config.failover is None else secondary_db_path(workspace, config.failover.secondary_region)
    for path in secondary_db_files(workspace):
        if keep is None or not path.name.startswith(keep.name):
            path.unlink(missing_ok=True)
    return outputs


def _provision_region(
    store: Store,
    config: Config,
    workspace: Workspace,
    names: Names,
    arns: Arns,
    code_dir: Path,
    sha256: str,
    outputs: DeploymentOutputs,
    extra_meta: dict[str, str],
    alarm_families: Mapping[str, Family],
    *,
    consumers: bool = True,
) -> None:
    """One region's bus, archive, rules, targets, queues, topic and functions in its store."""
    with store.transaction() as conn:
        meta = {
            "environment": config.environment,
            "region": config.region,
            "account": ACCOUNT_ID,
            "prefix": names.prefix,
            "outputs": outputs.model_dump_json(),
            "archive_retention_days": str(config.archive.retention_days),
            "alarms": config.alarms.model_dump_json(),
            "created_at": store.meta("created_at") or _now_text(),
            **extra_meta,
        }
        for key, value in meta.items():
            store.set_meta(key, value, conn)
        for key in (REGION_META_KEY, ROLE_KEY, REPLICATION_KEY):
            if key not in extra_meta:
                conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        if consumers:
            _provision_queues(conn, config, names, arns)
            _provision_functions(conn, config, workspace, names, arns, code_dir, sha256)
            _provision_topic(conn, config, names, arns)
            _provision_rules(conn, config, names, arns)
            _provision_state_machines(conn, config, names, arns)
        else:
            # A secondary without consumers ([failover] secondary_consumers = false): its bus and archive
            # only; what it receives waits in the archive for a replay.
            for table in NO_CONSUMER_TABLES:
                conn.execute(f"DELETE FROM {table}")
        events_dlq = arns.queue_url(names.dlq(EVENTS_DLQ))
        provision_forwarding(store, conn, forwarding_rule_for(config, names, arns, events_dlq))
        _provision_s3_archive(conn, config, workspace, names, arns)
        _provision_event_source(conn, config, names, arns)
        provision_alarms(
            conn, alarm_families, names.prefix, config.alarms.thresholds(), outputs, consumers=consumers
        )
        # What this apply provisioned, for `tooling drift` to compare the store with later.
        record_applied(store, conn)
        # Bumped on every apply: a running dispatcher reloads rules and functions when it changes.
        generation = int(store.meta("generation") or "0") + 1
        store.set_meta("generation", str(generation), conn)
    expire_archive(store)


def _now_text() -> str:
    import time

    return repr(time.time())


def _provision_queues(conn: sqlite3.Connection, config: Config, names: Names, arns: Arns) -> None:
    _upsert_queue(conn, arns, names.dlq(EVENTS_DLQ), "dlq", DLQ_VISIBILITY_SECONDS)
    _upsert_queue(conn, arns, names.dlq(BATCH_DLQ), "dlq", DLQ_VISIBILITY_SECONDS)
    _upsert_queue(conn, arns, names.dlq(NOTIFICATIONS_DLQ), "dlq", DLQ_VISIBILITY_SECONDS)
    for key in async_function_keys(config):
        _upsert_queue(conn, arns, names.dlq(key), "dlq", DLQ_VISIBILITY_SECONDS)
    _upsert_queue(
        conn,
        arns,
        names.batch_queue,
        "batch",
        BATCH_VISIBILITY_SECONDS,
        redrive=arns.queue_url(names.dlq(BATCH_DLQ)),
        max_receive=BATCH_MAX_RECEIVE_COUNT,
    )


def _provision_functions(
    conn: sqlite3.Connection,
    config: Config,
    workspace: Workspace,
    names: Names,
    arns: Arns,
    code_dir: Path,
    sha256: str,
) -> None:
    keys = []
    for key, settings in config.deployed_functions():
        keys.append(key)
        name = names.function(key)
        conn.execute(
            "INSERT INTO functions (key, name, arn, handler, timeout_seconds, memory_mb, environment, log_group, "
            "dlq_url, code_dir, code_sha256, async_max_retry_attempts, async_max_event_age_seconds) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET name = excluded.name, arn = excluded.arn, handler = excluded.handler, "
            "timeout_seconds = excluded.timeout_seconds, memory_mb = excluded.memory_mb, "
            "environment = excluded.environment, log_group = excluded.log_group, dlq_url = excluded.dlq_url, "
            "code_dir = excluded.code_dir, code_sha256 = excluded.code_sha256, "
            "async_max_retry_attempts = excluded.async_max_retry_attempts, "
            "async_max_event_age_seconds = excluded.async_max_event_age_seconds",
            (
                key,
                name,
                arns.function(name),
                HANDLERS[key],
                settings.timeout_seconds,
                settings.memory_mb,
                json.dumps(function_environment(key, config, workspace), sort_keys=True),
                log_group(name),
                None if key == BATCH_PROCESSOR else arns.queue_url(names.dlq(key)),
                str(code_dir),
                sha256,
                settings.maximum_retry_attempts,
                settings.maximum_event_age_seconds,
            ),
        )
    conn.execute(f"DELETE FROM functions WHERE key NOT IN ({','.join('?' * len(keys))})", keys)


def _provision_topic(conn: sqlite3.Connection, config: Config, names: Names, arns: Arns) -> None:
    topic = arns.topic(names.topic)
    subscriptions = [(f"{topic}:notifier", "lambda", arns.function(names.function("notifier")))]
    if config.notifications.email:
        subscriptions.append((f"{topic}:email", "email", config.notifications.email))
    conn.execute("DELETE FROM subscriptions WHERE topic_arn = ?", (topic,))
    conn.executemany(
        "INSERT INTO subscriptions (arn, topic_arn, protocol, endpoint) VALUES (?, ?, ?, ?)",
        [(arn, topic, protocol, endpoint) for arn, protocol, endpoint in subscriptions],
    )


def _provision_rules(conn: sqlite3.Connection, config: Config, names: Names, arns: Arns) -> None:
    conn.execute("DELETE FROM rules")
    conn.execute("DELETE FROM targets")
    events_dlq = arns.queue_url(names.dlq(EVENTS_DLQ))
    for position, rule in enumerate(config.rules):
        name = names.rule(rule.name)
        conn.execute(
            "INSERT INTO rules (key, name, arn, description, state, pattern, position) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                rule.name,
                name,
                arns.rule(names.bus, name),
                rule.description,
                "ENABLED" if rule.enabled else "DISABLED",
                rule.pattern_json,
                position,
            ),
        )
        for index, target in enumerate(rule.targets):
            transformer = target.input_transformer
            conn.execute(
                "INSERT INTO targets (rule_key, target_id, kind, arn, input_transformer, max_retry_attempts, "
                "max_event_age_seconds, dlq_url, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rule.name,
                    target.target_id,
                    target.target,
                    _target_arn(target, names, arns),
                    None if transformer is None else transformer.model_dump_json(),
                    target.retry_policy.maximum_retry_attempts,
                    target.retry_policy.maximum_event_age_seconds,
                    events_dlq if target.dead_letter_queue else None,
                    index,
                ),
            )


def _provision_state_machines(conn: sqlite3.Connection, config: Config, names: Names, arns: Arns) -> None:
    """The order-fulfilment state machine, only while a rule targets it (as Terraform creates it)."""
    conn.execute("DELETE FROM state_machines")
    if not config.creates_workflow:
        return
    conn.execute(
        "INSERT INTO state_machines (key, name, arn, type, high_value_threshold, log_group) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            WORKFLOW_TARGET,
            names.state_machine,
            arns.state_machine(names.state_machine),
            STATE_MACHINE_TYPE,
            config.processing.high_value_threshold,
            state_machine_log_group(names.state_machine),
        ),
    )


def _provision_s3_archive(
    conn: sqlite3.Connection, config: Config, workspace: Workspace, names: Names, arns: Arns
) -> None:
    """The Firehose stream and its bucket folder while [s3_archive] is enabled and a rule targets it (as
    Terraform creates them). Disabling it deletes the
    stream (and what it still buffered, as deleting a Firehose stream does) but keeps the bucket's objects,
    as Terraform cannot delete a bucket that holds objects."""
    archive = config.s3_archive
    conn.execute("DELETE FROM delivery_streams")
    if not config.creates_s3_archive:
        conn.execute("DELETE FROM firehose_records")
        return
    make_dir(bucket_root(workspace), PRIVATE_DIR_MODE)
    make_dir(bucket_root(workspace) / names.s3_archive_bucket, PRIVATE_DIR_MODE)
    conn.execute(
        "INSERT INTO delivery_streams (name, arn, bucket, buffer_bytes, buffer_seconds) VALUES (?, ?, ?, ?, ?)",
        (
            names.s3_archive_stream,
            arns.delivery_stream(names.s3_archive_stream),
            names.s3_archive_bucket,
            archive.buffer_size_mb * 1024 * 1024,
            archive.buffer_interval_seconds,
        ),
    )
    conn.execute("DELETE FROM firehose_records WHERE stream != ?", (names.s3_archive_stream,))


def _provision_event_source(conn: sqlite3.Connection, config: Config, names: Names, arns: Arns) -> None:
    """The batch queue's event source mapping to the batch processor, while [batch_processor] is enabled.
    Its uuid is stable per environment (as a mapping Terraform keeps is), so batches in flight keep it."""
    conn.execute("DELETE FROM event_source_mappings")
    batch = config.batch_processor
    if not batch.enabled:
        return
    conn.execute(
        "INSERT INTO event_source_mappings (uuid, queue_url, queue_arn, function_key, batch_size, window_seconds, "
        "enabled, filter_pattern) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
        (
            f"{names.prefix}-batch-queue-mapping",
            arns.queue_url(names.batch_queue),
            arns.queue(names.batch_queue),
            BATCH_PROCESSOR,
            batch.batch_size,
            batch.batching_window_seconds,
            batch.filter_pattern_json,
        ),
    )


def destroy(workspace: Workspace, *, wait_timeout: float = DEFAULT_WAIT_TIMEOUT) -> None:
    """Remove every local resource of the environment: database, unpacked code, worker files, idempotency
    store, dispatcher files. The suffix, tfvars and outputs.json are not the local target's to remove.

    Under the environment's lock EXCLUSIVE (re-entrant: the CLI's destroy and the demo hold it already):
    waiting for it asks a background dispatcher to stop, and no command is left reading a deleted file."""
    with env_lock(workspace, Mode.EXCLUSIVE, command="destroy", wait_timeout=wait_timeout):
        _remove_state(workspace)


def _remove_state(workspace: Workspace) -> None:
    state = workspace.state_dir
    if state.exists():
        workspace.ensure()  # a file in the folder's place is refused with the line that names it
    files = (
        DB_NAME,
        f"{DB_NAME}-wal",
        f"{DB_NAME}-shm",
        "idempotency.sqlite",
        EVENT_STORE_FILE,
        f"{EVENT_STORE_FILE}-wal",
        f"{EVENT_STORE_FILE}-shm",
        "dispatcher.log",
        "dispatcher.starting",
        "dispatcher.lock",
        "dispatcher.pid",  # written by earlier versions
        "firehose.lock",
        LOCAL_PARAMETERS_FILE,  # what apply copied; the user's webhook-url file stays, as an SSM parameter would
    )
    # destroy is the way back from damaged state: a folder where one of these files belongs goes too.
    for name in files:
        if (state / name).is_dir() and not (state / name).is_symlink():
            shutil.rmtree(state / name)
    for name in files:
        (state / name).unlink(missing_ok=True)
    for path in secondary_db_files(workspace):  # [failover]'s second region
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    # The buckets go too: `destroy` of the local target is a clean slate (Terraform would need them emptied).
    for folder in ("code", "workers", "runtime", "s3"):
        if (state / folder).is_dir() and not (state / folder).is_symlink():
            shutil.rmtree(state / folder, ignore_errors=True)
        else:
            (state / folder).unlink(missing_ok=True)  # a file (or link) where the folder belongs
