# The archive bucket: private (public access blocked, owner-enforced), TLS only, versioned, encrypted with the
# stack's key, and moved to the archive storage class after transition_days.

resource "aws_s3_bucket" "this" {
  # checkov:skip=CKV_AWS_18:Access logging would need a second bucket per stack; every write here is Firehose's own, logged by its CloudWatch log group and CloudTrail data events where the account enables them.
  # checkov:skip=CKV_AWS_144:Cross-region replication of the archive is a per-account decision; with [failover] every event also reaches the secondary region's bus and archive (the global endpoint, replication on).
  # checkov:skip=CKV2_AWS_62:Nothing consumes object-created events of the archive; it is read by `tooling s3-archive` and analytics queries.
  count = var.create_archive ? 1 : 0

  bucket = var.bucket_name
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = var.create_archive ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = var.create_archive ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.create_archive ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = var.create_archive ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    # S3 Bucket Keys cut the KMS calls (and their cost) from one per object to one per bucket key period.
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = var.create_archive ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = "archive-storage-class"
    status = "Enabled"

    filter {}

    transition {
      days          = var.transition_days
      storage_class = var.storage_class
    }

    dynamic "expiration" {
      for_each = var.expiration_days == null ? [] : [var.expiration_days]

      content {
        days = expiration.value
      }
    }

    # Versioning keeps overwritten and deleted objects: they follow the current ones into the archive
    # class and are removed after the same expiration (or a year when nothing expires).
    noncurrent_version_transition {
      noncurrent_days = var.transition_days
      storage_class   = var.storage_class
    }

    noncurrent_version_expiration {
      noncurrent_days = coalesce(var.expiration_days, 365)
    }

    # Firehose writes objects with multipart uploads; a failed one would otherwise be billed forever.
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# Firehose writes with its role (an identity policy), so the bucket policy only refuses plain HTTP.
module "bucket_tls_only" {
  source = "../tls_only_policy"
  count  = var.create_archive ? 1 : 0

  service   = "s3"
  resources = [local.bucket_arn, "${local.bucket_arn}/*"]
}

resource "aws_s3_bucket_policy" "this" {
  count = var.create_archive ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = module.bucket_tls_only[0].json

  # S3 refuses a policy while the public access block is being applied.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
