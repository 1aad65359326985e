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
    cloudwatch = local.endpoint_overrides.cloudwatch
    dynamodb   = local.endpoint_overrides.dynamodb
    events     = local.endpoint_overrides.events
    firehose   = local.endpoint_overrides.firehose
    iam        = local.endpoint_overrides.iam
    kms        = local.endpoint_overrides.kms
    lambda     = local.endpoint_overrides.lambda
    logs       = local.endpoint_overrides.logs
    route53    = local.endpoint_overrides.route53
    s3         = local.endpoint_overrides.s3
    schemas    = local.endpoint_overrides.schemas
    sfn        = local.endpoint_overrides.sfn
    sns        = local.endpoint_overrides.sns
    sqs        = local.endpoint_overrides.sqs
    sts        = local.endpoint_overrides.sts
  }
}

# The failover's secondary region (module secondary, [failover] secondary_region). Terraform needs the
# provider configured even without [failover]; it then points at the primary region and nothing uses it.
# The same settings as the primary provider: an emulator serves every region on one endpoint. (A provider
# block cannot take its endpoints from a map, so the service list repeats; local.endpoint_overrides holds
# the one lookup, and tests/terraform checks that both lists stay the same.)
provider "aws" {
  alias  = "secondary"
  region = local.secondary_region

  default_tags {
    tags = local.tags
  }

  skip_credentials_validation = local.use_endpoint_overrides
  skip_metadata_api_check     = local.use_endpoint_overrides
  s3_use_path_style           = local.use_endpoint_overrides

  endpoints {
    cloudwatch = local.endpoint_overrides.cloudwatch
    dynamodb   = local.endpoint_overrides.dynamodb
    events     = local.endpoint_overrides.events
    firehose   = local.endpoint_overrides.firehose
    iam        = local.endpoint_overrides.iam
    kms        = local.endpoint_overrides.kms
    lambda     = local.endpoint_overrides.lambda
    logs       = local.endpoint_overrides.logs
    route53    = local.endpoint_overrides.route53
    s3         = local.endpoint_overrides.s3
    schemas    = local.endpoint_overrides.schemas
    sfn        = local.endpoint_overrides.sfn
    sns        = local.endpoint_overrides.sns
    sqs        = local.endpoint_overrides.sqs
    sts        = local.endpoint_overrides.sts
  }
}

# [replication]'s old provider, kept only for the move (moved.tf): `removed` blocks still need the provider
# configuration the forgotten replica resources were created with, by its old name. Nothing is created
# with it, and Terraform configures it only while such resources are in the state. Delete it once every
# environment has applied this version (README, "Moving from [replication]"). Its endpoints are the
# services those resources used, from the same lookup (tests/terraform checks both).
provider "aws" {
  alias  = "replica"
  region = local.secondary_region

  skip_credentials_validation = local.use_endpoint_overrides
  skip_metadata_api_check     = local.use_endpoint_overrides

  endpoints {
    events = local.endpoint_overrides.events
    kms    = local.endpoint_overrides.kms
    sqs    = local.endpoint_overrides.sqs
    sts    = local.endpoint_overrides.sts
  }
}
