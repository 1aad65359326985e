provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }

  # An emulator (LocalStack, moto server) needs neither real credentials nor the EC2 metadata service;
  # AWS itself gets the provider's normal checks.
  skip_credentials_validation = local.use_endpoint_overrides
  skip_metadata_api_check     = local.use_endpoint_overrides

  # Unset services (null) keep the provider's own endpoint, so an empty map means plain AWS.
  endpoints {
    cloudwatch = lookup(var.endpoints, "cloudwatch", null)
    dynamodb   = lookup(var.endpoints, "dynamodb", null)
    events     = lookup(var.endpoints, "events", null)
    iam        = lookup(var.endpoints, "iam", null)
    kms        = lookup(var.endpoints, "kms", null)
    lambda     = lookup(var.endpoints, "lambda", null)
    logs       = lookup(var.endpoints, "logs", null)
    sns        = lookup(var.endpoints, "sns", null)
    sqs        = lookup(var.endpoints, "sqs", null)
    sts        = lookup(var.endpoints, "sts", null)
  }
}
