"""Logger, Metrics and (when available) Tracer, built once per container and shared by the three handlers.

Powertools reads POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE and LOG_LEVEL when these objects are
built, i.e. at import; that is how Powertools is meant to be used and those variables only tune output.

Tracing: the zip does not bundle aws-xray-sdk, so the Powertools Tracer is only built when the SDK can be
imported (for example from a Lambda layer). Why not bundle it:
- importing ``aws_xray_sdk.core`` costs ~0.3-0.4 s of cold start, more than the rest of the package together;
- it depends on botocore, which pip would then copy (tens of MB) into a zip whose runtime already has it;
- for aarch64 pip picks wrapt's compiled wheel over its pure one, and the zip must hold no ``.so`` file.
X-Ray still traces every invocation through the function's active tracing (Terraform ``tracing_config``),
which needs no SDK in the code; only custom subsegments are lost.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import cache, wraps
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from event_processors.errors import AlertInProgressError, ConfigurationError, ProcessingError
from event_processors.masking import mask

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def _serialize(record: dict[str, Any]) -> str:
    return json.dumps(mask(record), default=str, separators=(",", ":"))


logger = Logger(utc=True, json_serializer=_serialize)
metrics = Metrics()


@cache
def tracer() -> Tracer | None:
    """A Tracer only where it can work: the SDK is importable and Lambda runs with active tracing (Lambda then
    sets AWS_XRAY_DAEMON_ADDRESS). Elsewhere, e.g. the local target, nothing tries to reach a daemon."""
    if find_spec("aws_xray_sdk") is None or not os.environ.get("AWS_XRAY_DAEMON_ADDRESS"):
        return None
    from aws_lambda_powertools import Tracer

    return Tracer()


def _report_failures(handler: HandlerT) -> HandlerT:
    """Log (as structured JSON, with the correlation id) and count the failures the handlers do not report
    themselves, then raise them again: a raised error is what makes Lambda retry and then send the event to
    the function's dead-letter queue (`dead_letter_config`)."""

    @wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except ConfigurationError as error:
            logger.error("Configuration error", extra={"reason": str(error)})
            metrics.add_metric(name="ConfigurationErrors", unit=MetricUnit.Count, value=1)
            raise
        except AlertInProgressError as error:
            logger.warning("Retry later: another invocation is delivering", extra={"reason": str(error)})
            raise
        except ProcessingError:
            raise  # logged where it was raised, with its reason
        except Exception:
            logger.exception("Unexpected error")
            metrics.add_metric(name="UnexpectedErrors", unit=MetricUnit.Count, value=1)
            raise

    return cast(HandlerT, wrapper)


def instrumented(handler: HandlerT) -> HandlerT:
    """Apply the Powertools decorators in the order the team uses: logging context outermost, then tracing,
    then metrics (flushed as Embedded Metric Format even when the handler raises)."""
    # Powertools types these decorators as returning a bare Callable; the signature is unchanged.
    wrapped = cast(HandlerT, metrics.log_metrics(_report_failures(handler), capture_cold_start_metric=True))
    active_tracer = tracer()
    if active_tracer is not None:
        wrapped = cast(HandlerT, active_tracer.capture_lambda_handler(wrapped))
    return logger.inject_lambda_context(wrapped, clear_state=True)
