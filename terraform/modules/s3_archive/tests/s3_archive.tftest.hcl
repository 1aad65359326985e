# What the module computes: the Firehose stream (dynamic partitioning by source and date, gzip JSON lines,
# the key), the private, versioned, encrypted, TLS-only bucket and its lifecycle, the delivery log, both
# roles and their policies; nothing when create_archive is false; and what it refuses.
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py runs every module).

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

# The real provider renders the aws_iam_policy_document data sources (a mock invents their JSON). Every
# resource is overridden, so an apply with it creates nothing and calls no AWS API.
provider "aws" {
  alias                       = "render"
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  max_retries                 = 1
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = data.aws_partition.current
  values = { partition = "aws", dns_suffix = "amazonaws.com" }
}

override_resource {
  target = aws_kinesis_firehose_delivery_stream.this
  values = { arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/shop-dev-abc123-events-archive" }
}

override_resource {
  target = aws_s3_bucket.this
  values = {
    arn    = "arn:aws:s3:::shop-dev-abc123-events-archive"
    id     = "shop-dev-abc123-events-archive"
    bucket = "shop-dev-abc123-events-archive"
  }
}

override_resource {
  target = aws_iam_role.firehose
  values = {
    arn = "arn:aws:iam::123456789012:role/shop-dev-abc123-events-archive-firehose"
    id  = "shop-dev-abc123-events-archive-firehose"
  }
}

override_resource {
  target = aws_cloudwatch_log_group.this
  values = { name = "/aws/kinesisfirehose/shop-dev-abc123-events-archive" }
}

override_resource {
  target = aws_cloudwatch_log_stream.this
  values = { name = "DestinationDelivery" }
}

override_resource {
  target = aws_s3_bucket_ownership_controls.this
}

override_resource {
  target = aws_s3_bucket_public_access_block.this
}

override_resource {
  target = aws_s3_bucket_versioning.this
}

override_resource {
  target = aws_s3_bucket_server_side_encryption_configuration.this
}

override_resource {
  target = aws_s3_bucket_lifecycle_configuration.this
}

override_resource {
  target = aws_s3_bucket_policy.this
}

override_resource {
  target = aws_iam_role_policy.firehose
}

override_resource {
  target = module.target_role.aws_iam_role.this
  values = {
    arn = "arn:aws:iam::123456789012:role/shop-dev-abc123-events-archive-target"
    id  = "shop-dev-abc123-events-archive-target"
  }
}

override_resource {
  target = module.target_role.aws_iam_role_policy.this
}

variables {
  create_archive          = true
  region                  = "us-east-1"
  bucket_name             = "shop-dev-abc123-events-archive"
  stream_name             = "shop-dev-abc123-events-archive"
  kms_key_arn             = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  buffer_size_mb          = 64
  buffer_interval_seconds = 300
  transition_days         = 30
  storage_class           = "GLACIER_IR"
  log_retention_days      = 14
  rule_arns               = ["arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123/shop-dev-abc123-archive"]
}

run "off_creates_nothing_and_the_outputs_are_empty" {
  command = apply

  variables {
    create_archive = false
  }

  assert {
    condition = (
      length(aws_kinesis_firehose_delivery_stream.this) + length(aws_s3_bucket.this) + length(aws_s3_bucket_policy.this)
      + length(aws_s3_bucket_lifecycle_configuration.this) + length(aws_cloudwatch_log_group.this)
      + length(aws_iam_role.firehose) == 0 && module.target_role.arn == null
    )
    error_message = "create_archive = false creates no stream, bucket, log group or role."
  }

  assert {
    condition = (
      output.bucket_name == "" && output.bucket_arn == "" && output.stream_name == ""
      && length(output.stream_arns) == 0 && length(output.stream_names) == 0 && length(output.target_role_arns) == 0
    )
    error_message = "Off: empty names and maps."
  }
}

run "the_stream_partitions_by_source_and_day_into_gzip_json_lines" {
  command = plan

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.this[0].name == "shop-dev-abc123-events-archive"
      && aws_kinesis_firehose_delivery_stream.this[0].destination == "extended_s3"
      && aws_kinesis_firehose_delivery_stream.this[0].server_side_encryption[0].enabled
      && aws_kinesis_firehose_delivery_stream.this[0].server_side_encryption[0].key_type == "CUSTOMER_MANAGED_CMK"
      && aws_kinesis_firehose_delivery_stream.this[0].server_side_encryption[0].key_arn == var.kms_key_arn
    )
    error_message = "One extended_s3 stream, encrypted at rest with the project key."
  }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].prefix == "source=!{partitionKeyFromQuery:source}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
      && aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].error_output_prefix == "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
    )
    error_message = "Objects land under source=<source>/year=/month=/day=, failures under errors/."
  }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].buffering_size == 64
      && aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].buffering_interval == 300
      && aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].compression_format == "GZIP"
      && aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].kms_key_arn == var.kms_key_arn
      && aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].dynamic_partitioning_configuration[0].enabled
    )
    error_message = "Buffering from the settings, gzip, the key, dynamic partitioning on."
  }

  assert {
    condition = [
      for processor in aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].processing_configuration[0].processors : {
        type       = processor.type
        parameters = { for parameter in processor.parameters : parameter.parameter_name => parameter.parameter_value }
      }
      ] == [
      { type = "MetadataExtraction", parameters = { MetadataExtractionQuery = "{source:.source}", JsonParsingEngine = "JQ-1.6" } },
      { type = "AppendDelimiterToRecord", parameters = {} },
    ]
    error_message = "Processors: the JQ query extracting source, then a newline after each record."
  }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].cloudwatch_logging_options[0].enabled
      && aws_cloudwatch_log_group.this[0].name == "/aws/kinesisfirehose/shop-dev-abc123-events-archive"
      && aws_cloudwatch_log_group.this[0].retention_in_days == 14
      && aws_cloudwatch_log_group.this[0].kms_key_id == var.kms_key_arn
      && aws_cloudwatch_log_stream.this[0].name == "DestinationDelivery"
    )
    error_message = "Delivery errors are logged to /aws/kinesisfirehose/<stream>, stream DestinationDelivery, encrypted."
  }
}

run "the_bucket_is_private_versioned_encrypted_and_moves_to_the_archive_class" {
  command = plan

  assert {
    condition = (
      aws_s3_bucket.this[0].bucket == "shop-dev-abc123-events-archive"
      && aws_s3_bucket_ownership_controls.this[0].rule[0].object_ownership == "BucketOwnerEnforced"
      && aws_s3_bucket_versioning.this[0].versioning_configuration[0].status == "Enabled"
    )
    error_message = "The bucket is named bucket_name, owner-enforced and versioned."
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.this[0].block_public_acls && aws_s3_bucket_public_access_block.this[0].block_public_policy
      && aws_s3_bucket_public_access_block.this[0].ignore_public_acls && aws_s3_bucket_public_access_block.this[0].restrict_public_buckets
    )
    error_message = "Every public access is blocked."
  }

  assert {
    condition = [
      for rule in aws_s3_bucket_server_side_encryption_configuration.this[0].rule : [
        rule.bucket_key_enabled,
        one(rule.apply_server_side_encryption_by_default).sse_algorithm,
        one(rule.apply_server_side_encryption_by_default).kms_master_key_id,
      ]
    ] == [[true, "aws:kms", var.kms_key_arn]]
    error_message = "Objects are encrypted with the project key, with S3 Bucket Keys."
  }

  assert {
    condition = [
      for rule in aws_s3_bucket_lifecycle_configuration.this[0].rule : {
        status             = rule.status
        transition         = [for t in rule.transition : [t.days, t.storage_class]]
        expiration         = length(rule.expiration)
        noncurrent         = [for t in rule.noncurrent_version_transition : [t.noncurrent_days, t.storage_class]]
        noncurrent_expiry  = rule.noncurrent_version_expiration[0].noncurrent_days
        abort_upload_after = rule.abort_incomplete_multipart_upload[0].days_after_initiation
      }
      ] == [{
        status             = "Enabled"
        transition         = [[30, "GLACIER_IR"]]
        expiration         = 0
        noncurrent         = [[30, "GLACIER_IR"]]
        noncurrent_expiry  = 365
        abort_upload_after = 7
    }]
    error_message = "Objects (current and noncurrent) move to storage_class after transition_days; nothing current expires; noncurrent after a year; failed uploads after 7 days."
  }
}

run "an_expiration_deletes_current_and_noncurrent_objects_alike" {
  command = plan

  variables {
    expiration_days = 400
  }

  assert {
    condition = (
      [for e in aws_s3_bucket_lifecycle_configuration.this[0].rule[0].expiration : e.days] == [400]
      && aws_s3_bucket_lifecycle_configuration.this[0].rule[0].noncurrent_version_expiration[0].noncurrent_days == 400
    )
    error_message = "expiration_days expires current objects, and noncurrent ones after the same time."
  }
}

run "the_roles_and_the_bucket_policy_allow_only_the_archive_path" {
  command   = apply
  providers = { aws = aws.render }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].role_arn == "arn:aws:iam::123456789012:role/shop-dev-abc123-events-archive-firehose"
      && aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].bucket_arn == "arn:aws:s3:::shop-dev-abc123-events-archive"
      && aws_iam_role.firehose[0].name == "shop-dev-abc123-events-archive-firehose"
    )
    error_message = "The stream writes to the bucket with the Firehose role."
  }

  assert {
    condition = jsondecode(aws_iam_role.firehose[0].assume_role_policy).Statement == [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "firehose.amazonaws.com" }
      Condition = { StringEquals = { "sts:ExternalId" = "123456789012" } }
    }]
    error_message = "Only Firehose, for this account: ${aws_iam_role.firehose[0].assume_role_policy}"
  }

  assert {
    # Actions and resources compared sorted: the provider renders them in an order of its own.
    condition = [
      for statement in jsondecode(aws_iam_role_policy.firehose[0].policy).Statement :
      merge(statement, { Action = sort(flatten([statement.Action])), Resource = sort(flatten([statement.Resource])) })
      ] == [
      {
        Sid      = "WriteArchiveObjects"
        Effect   = "Allow"
        Action   = sort(["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"])
        Resource = sort(["arn:aws:s3:::shop-dev-abc123-events-archive", "arn:aws:s3:::shop-dev-abc123-events-archive/*"])
      },
      {
        Sid      = "EncryptArchiveObjects"
        Effect   = "Allow"
        Action   = sort(["kms:GenerateDataKey", "kms:Decrypt"])
        Resource = sort([var.kms_key_arn])
        Condition = {
          StringEquals = { "kms:ViaService" = "s3.us-east-1.amazonaws.com" }
          StringLike   = { "kms:EncryptionContext:aws:s3:arn" = ["arn:aws:s3:::shop-dev-abc123-events-archive", "arn:aws:s3:::shop-dev-abc123-events-archive/*"] }
        }
      },
      {
        Sid      = "LogDeliveryErrors"
        Effect   = "Allow"
        Action   = sort(["logs:PutLogEvents"])
        Resource = sort(["arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesisfirehose/shop-dev-abc123-events-archive:log-stream:DestinationDelivery"])
      },
    ]
    error_message = "Firehose role policy: ${aws_iam_role_policy.firehose[0].policy}"
  }

  assert {
    condition = [
      for statement in jsondecode(aws_s3_bucket_policy.this[0].policy).Statement :
      merge(statement, { Resource = sort(flatten([statement.Resource])) })
      ] == [{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Action    = "s3:*"
        Resource  = sort(["arn:aws:s3:::shop-dev-abc123-events-archive", "arn:aws:s3:::shop-dev-abc123-events-archive/*"])
        Principal = "*"
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "Bucket policy: ${aws_s3_bucket_policy.this[0].policy}"
  }

  assert {
    condition = [
      for statement in jsondecode(data.aws_iam_policy_document.target[0].json).Statement :
      merge(statement, { Action = sort(flatten([statement.Action])) })
      ] == [{
        Sid      = "PutArchiveRecords"
        Effect   = "Allow"
        Action   = sort(["firehose:PutRecord", "firehose:PutRecordBatch"])
        Resource = "arn:aws:firehose:us-east-1:123456789012:deliverystream/shop-dev-abc123-events-archive"
    }]
    error_message = "Target role policy: ${data.aws_iam_policy_document.target[0].json}"
  }

  assert {
    condition = jsondecode(module.target_role.assume_role_policy).Statement[0].Condition == {
      StringEquals = { "aws:SourceAccount" = "123456789012" }
      ArnEquals    = { "aws:SourceArn" = "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123/shop-dev-abc123-archive" }
    }
    error_message = "Only the rules that target the archive may assume the target role: ${module.target_role.assume_role_policy}"
  }

  assert {
    condition = (
      output.bucket_name == "shop-dev-abc123-events-archive"
      && output.bucket_arn == "arn:aws:s3:::shop-dev-abc123-events-archive"
      && output.stream_name == "shop-dev-abc123-events-archive"
      && output.stream_arns == { "s3-archive" = "arn:aws:firehose:us-east-1:123456789012:deliverystream/shop-dev-abc123-events-archive" }
      && output.stream_names == { "s3-archive" = "shop-dev-abc123-events-archive" }
      && output.target_role_arns == tomap({ "s3-archive" = "arn:aws:iam::123456789012:role/shop-dev-abc123-events-archive-target" })
    )
    error_message = "The outputs: names and ARNs, maps keyed by the logical target s3-archive."
  }
}

run "arns_and_key_conditions_follow_the_partition_and_region" {
  command   = apply
  providers = { aws = aws.render }

  variables {
    region = "cn-north-1"
  }

  override_data {
    target = data.aws_partition.current
    values = { partition = "aws-cn", dns_suffix = "amazonaws.com.cn" }
  }

  assert {
    condition = {
      for statement in jsondecode(aws_iam_role_policy.firehose[0].policy).Statement : statement.Sid => sort(flatten([statement.Resource]))
      } == {
      WriteArchiveObjects   = sort(["arn:aws-cn:s3:::shop-dev-abc123-events-archive", "arn:aws-cn:s3:::shop-dev-abc123-events-archive/*"])
      EncryptArchiveObjects = sort([var.kms_key_arn])
      LogDeliveryErrors     = sort(["arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/kinesisfirehose/shop-dev-abc123-events-archive:log-stream:DestinationDelivery"])
    }
    error_message = "The bucket and log ARNs follow the partition and region: ${aws_iam_role_policy.firehose[0].policy}"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.firehose[0].policy).Statement[1].Condition.StringEquals["kms:ViaService"] == "s3.cn-north-1.amazonaws.com.cn"
    error_message = "kms:ViaService comes from the partition's DNS suffix and the region."
  }

  assert {
    condition     = jsondecode(data.aws_iam_policy_document.target[0].json).Statement[0].Resource == "arn:aws-cn:firehose:cn-north-1:123456789012:deliverystream/shop-dev-abc123-events-archive"
    error_message = "The stream's ARN follows the partition and region."
  }
}

# One bad value per variable: each listed variable must refuse its own, and nothing else may fail.
run "bad_names_buffering_and_lifecycle_are_refused" {
  command = plan

  variables {
    bucket_name             = "Shop_Archive"
    stream_name             = "a-stream-name-longer-than-the-sixty-four-characters-firehose-allows"
    buffer_size_mb          = 63
    buffer_interval_seconds = 901
    transition_days         = -1
    storage_class           = "STANDARD"
    expiration_days         = 0
  }

  expect_failures = [
    var.bucket_name, var.stream_name, var.buffer_size_mb, var.buffer_interval_seconds,
    var.transition_days, var.storage_class, var.expiration_days,
  ]
}
