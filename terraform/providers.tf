provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }

  # An emulator (LocalStack, moto server) needs neither real credentials nor the EC2 metadata service;
  # AWS itself gets the provider's normal checks.
  skip_credentials_validation = local.use_endpoint_overrides
  skip_metadata_api_check     = local.use_endpoint_overrides
  # Emulators serve S3 on one host: bucket.host virtual-hosted names would not resolve.
  s3_use_path_style = local.use_endpoint_overrides

  # Unset services (null) keep the provider's own endpoint, so an empty map means plain AWS.
  endpoints {
    cloudwatch = lookup(var.endpoints, "cloudwatch", null)
    dynamodb   = lookup(var.endpoints, "dynamodb", null)
    events     = lookup(var.endpoints, "events", null)
    firehose   = lookup(var.endpoints, "firehose", null)
    iam        = lookup(var.endpoints, "iam", null)
    kms        = lookup(var.endpoints, "kms", null)
    lambda     = lookup(var.endpoints, "lambda", null)
    logs       = lookup(var.endpoints, "logs", null)
    s3         = lookup(var.endpoints, "s3", null)
    schemas    = lookup(var.endpoints, "schemas", null)
    sfn        = lookup(var.endpoints, "sfn", null)
    sns        = lookup(var.endpoints, "sns", null)
    sqs        = lookup(var.endpoints, "sqs", null)
    sts        = lookup(var.endpoints, "sts", null)
  }
}

# The replica region of cross-region replication (module replication). Terraform needs the provider to be
# configured even when replication is off; it then points at the primary region and nothing uses it.
provider "aws" {
  alias  = "replica"
  region = local.replica_region

  default_tags {
    tags = local.tags
  }

  skip_credentials_validation = local.use_endpoint_overrides
  skip_metadata_api_check     = local.use_endpoint_overrides
  # Emulators serve S3 on one host: bucket.host virtual-hosted names would not resolve.
  s3_use_path_style = local.use_endpoint_overrides

  # Same overrides as the primary provider: an emulator serves every region on one endpoint.
  endpoints {
    cloudwatch = lookup(var.endpoints, "cloudwatch", null)
    dynamodb   = lookup(var.endpoints, "dynamodb", null)
    events     = lookup(var.endpoints, "events", null)
    firehose   = lookup(var.endpoints, "firehose", null)
    iam        = lookup(var.endpoints, "iam", null)
    kms        = lookup(var.endpoints, "kms", null)
    lambda     = lookup(var.endpoints, "lambda", null)
    logs       = lookup(var.endpoints, "logs", null)
    s3         = lookup(var.endpoints, "s3", null)
    schemas    = lookup(var.endpoints, "schemas", null)
    sfn        = lookup(var.endpoints, "sfn", null)
    sns        = lookup(var.endpoints, "sns", null)
    sqs        = lookup(var.endpoints, "sqs", null)
    sts        = lookup(var.endpoints, "sts", null)
  }
}
