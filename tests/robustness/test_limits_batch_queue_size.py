"""The batch queue takes SQS's 1 MiB messages (tooling.aws_limits), set in the HCL rather than left to the
provider (hashicorp/aws 5.x would create it at 256 KiB); and the offline 5.100 provider, whose validation
still stops at 256 KiB, gets a capped copy (compat.narrow_values), reported, while 6.x is left alone."""

from __future__ import annotations

from pathlib import Path

import hcl2

from tooling import aws_limits
from tooling_testing.harness import compat

MESSAGING = Path(__file__).resolve().parents[2] / "terraform" / "modules" / "messaging"

QUEUE = """\
resource "aws_sqs_queue" "batch" {
  name             = var.batch_queue_name
  max_message_size = var.batch_queue_max_message_size # SQS's 1 MiB
}

resource "aws_sqs_queue" "dlq" {
  name = "dlq"
}

resource "aws_sns_topic" "t" {
  max_message_size = 5
}
"""


def test_the_batch_queue_sets_sqs_1_mib_limit() -> None:
    # python-hcl2 keeps block labels quoted.
    sqs = hcl2.loads((MESSAGING / "sqs.tf").read_text())
    [batch] = [
        r['"aws_sqs_queue"']['"batch"'] for r in sqs["resource"] if '"batch"' in r.get('"aws_sqs_queue"', {})
    ]
    assert batch["max_message_size"] == "${var.batch_queue_max_message_size}"
    variables = hcl2.loads((MESSAGING / "variables.tf").read_text())
    name = '"batch_queue_max_message_size"'
    [declared] = [v[name] for v in variables["variable"] if name in v]
    assert declared["default"] == aws_limits.SQS_MESSAGE_BYTES == 1_048_576


def test_a_5x_provider_gets_the_value_capped_in_the_copy_and_reported(tmp_path: Path) -> None:
    (tmp_path / "sqs.tf").write_text(QUEUE)

    caps = compat.narrow_values(tmp_path, "5.100.0")

    text = (tmp_path / "sqs.tf").read_text()
    assert "  max_message_size = min(var.batch_queue_max_message_size, 262144) # SQS's 1 MiB\n" in text
    assert "  max_message_size = 5\n" in text  # another resource type is not touched
    assert [c.line() for c in caps] == [
        "resource.aws_sqs_queue.batch.max_message_size capped at 262144 (sqs.tf): hashicorp/aws 5.x validates "
        "at most 262144 (SQS's limit before its 1 MiB raise)"
    ]
    hcl2.loads(text)  # still HCL


def test_a_6x_or_unknown_provider_keeps_the_hcl_as_written(tmp_path: Path) -> None:
    (tmp_path / "sqs.tf").write_text(QUEUE)

    assert compat.narrow_values(tmp_path, "6.62.0") == []
    assert compat.narrow_values(tmp_path, "?") == []
    assert (tmp_path / "sqs.tf").read_text() == QUEUE
