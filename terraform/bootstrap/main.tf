# The remote state of every environment: one versioned, KMS-encrypted, private bucket. Locking is S3's own
# lock file (`use_lockfile = true`, Terraform >= 1.10), which the tooling renders, so no DynamoDB table.

# The state key carries the bootstrap's tags only (Project, Purpose), never an Environment tag: the deploy
# roles' key statements need both, and deny this key by ARN besides.
module "state_key" {
  source = "../modules/kms"

  alias_name  = "alias/${var.project}-terraform-state"
  description = "${var.project}: Terraform state in s3://${var.state_bucket_name}"
  # No service grants: only the account's IAM policies (the roles of iam.tf) use the key.
}

# The key and its alias were resources of this root before module kms held them: they move, the key is
# not replaced.
moved {
  from = aws_kms_key.state
  to   = module.state_key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.state
  to   = module.state_key.aws_kms_alias.this
}

resource "aws_s3_bucket" "state" {
  # checkov:skip=CKV_AWS_18:Access logging needs a second bucket, which would itself need one; CloudTrail data events are the audit trail of state reads if the account requires one.
  # checkov:skip=CKV_AWS_144:Cross-region replication of state is a disaster-recovery choice per organisation; versioning already undoes a bad write.
  # checkov:skip=CKV2_AWS_62:Nothing consumes events of the state bucket; Terraform is its only writer.
  bucket = var.state_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.state_key.key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-superseded-state"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.state_noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

# The stack's own definition of the TLS-only statement (terraform/modules/tls_only_policy).
module "state_bucket_tls_only" {
  source = "../modules/tls_only_policy"

  service   = "s3"
  resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = module.state_bucket_tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.state]
}
