# The S3 event archive: the rules that target `s3-archive` hand every event to an Amazon Data Firehose stream,
# which buffers it and writes gzip JSON lines to a versioned, KMS-encrypted, private, TLS-only bucket, under
# source=<source>/year=YYYY/month=MM/day=DD/. The layout needs dynamic partitioning: a MetadataExtraction
# processor reads `source` with JQ, and an AppendDelimiterToRecord processor ends each record with a newline
# so objects are JSON lines. tooling/local/firehose.py writes the same layout on the local target.
# Everything is created only when create_archive is true (count 0/1).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Built from the names: the roles' policies need them before the bucket and stream exist.
  bucket_arn     = "arn:${local.partition}:s3:::${var.bucket_name}"
  stream_arn     = "arn:${local.partition}:firehose:${var.region}:${local.account_id}:deliverystream/${var.stream_name}"
  log_group_name = "/aws/kinesisfirehose/${var.stream_name}"
  log_stream     = "DestinationDelivery"

  # Firehose evaluates these per record: the JQ query's `source`, and the record's arrival time (UTC).
  prefix              = "source=!{partitionKeyFromQuery:source}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
  error_output_prefix = "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
}

resource "aws_kinesis_firehose_delivery_stream" "this" {
  count = var.create_archive ? 1 : 0

  name        = var.stream_name
  destination = "extended_s3"

  # Direct PUT stream (EventBridge writes to it): records at rest in Firehose under the stack's key.
  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = var.kms_key_arn
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose[0].arn
    bucket_arn          = aws_s3_bucket.this[0].arn
    prefix              = local.prefix
    error_output_prefix = local.error_output_prefix
    buffering_size      = var.buffer_size_mb
    buffering_interval  = var.buffer_interval_seconds
    compression_format  = "GZIP"
    kms_key_arn         = var.kms_key_arn

    dynamic_partitioning_configuration {
      enabled        = true
      retry_duration = 300
    }

    processing_configuration {
      enabled = true

      processors {
        type = "MetadataExtraction"

        parameters {
          parameter_name  = "MetadataExtractionQuery"
          parameter_value = "{source:.source}"
        }

        parameters {
          parameter_name  = "JsonParsingEngine"
          parameter_value = "JQ-1.6"
        }
      }

      processors {
        type = "AppendDelimiterToRecord"
      }
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.this[0].name
      log_stream_name = aws_cloudwatch_log_stream.this[0].name
    }
  }

  # The role's policy must exist before Firehose validates its access to the bucket and key.
  depends_on = [aws_iam_role_policy.firehose]
}

resource "aws_cloudwatch_log_group" "this" {
  count = var.create_archive ? 1 : 0

  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_cloudwatch_log_stream" "this" {
  count = var.create_archive ? 1 : 0

  name           = local.log_stream
  log_group_name = aws_cloudwatch_log_group.this[0].name
}
