variable "create_archive" {
  type        = bool
  description = "Create the archive ([s3_archive] enabled = true); false creates nothing."
  nullable    = false
}

variable "region" {
  type        = string
  description = "Region of the stream (part of its ARN and of kms:ViaService)."
  nullable    = false
}

variable "bucket_name" {
  type        = string
  description = "Name of the archive bucket (<name_prefix>-events-archive); S3 bucket names are global, the prefix's suffix keeps them apart."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 characters of lowercase letters, digits, '.' and '-' (S3's bucket naming rules)."
  }
}

variable "stream_name" {
  type        = string
  description = "Name of the Firehose delivery stream (<name_prefix>-events-archive)."
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{1,64}$", var.stream_name))
    error_message = "stream_name must be 1-64 characters of letters, digits, '_', '.' and '-' (Firehose's naming rules)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the stack's KMS key: encrypts the stream, the bucket's objects and the delivery log group."
  nullable    = false
}

variable "buffer_size_mb" {
  type        = number
  description = "Firehose buffer size hint (uncompressed MB) per partition; dynamic partitioning needs 64 to 128."
  nullable    = false

  validation {
    condition     = var.buffer_size_mb >= 64 && var.buffer_size_mb <= 128 && floor(var.buffer_size_mb) == var.buffer_size_mb
    error_message = "buffer_size_mb must be a whole number from 64 to 128 (Firehose's range with dynamic partitioning)."
  }
}

variable "buffer_interval_seconds" {
  type        = number
  description = "Firehose buffer interval hint: a partition's buffer is written at the latest this many seconds after its first record."
  nullable    = false

  validation {
    condition     = var.buffer_interval_seconds >= 0 && var.buffer_interval_seconds <= 900 && floor(var.buffer_interval_seconds) == var.buffer_interval_seconds
    error_message = "buffer_interval_seconds must be a whole number from 0 to 900."
  }
}

variable "transition_days" {
  type        = number
  description = "Days after which objects move to storage_class."
  nullable    = false

  validation {
    condition     = var.transition_days >= 0 && floor(var.transition_days) == var.transition_days
    error_message = "transition_days must be a whole number >= 0."
  }
}

variable "storage_class" {
  type        = string
  description = "Storage class objects move to after transition_days."
  nullable    = false

  validation {
    condition     = contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], var.storage_class)
    error_message = "storage_class must be one of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE."
  }
}

variable "expiration_days" {
  type        = number
  description = "Days after which objects are deleted; null keeps them."
  default     = null

  validation {
    condition     = var.expiration_days == null || try(var.expiration_days >= 1 && floor(var.expiration_days) == var.expiration_days, false)
    error_message = "expiration_days must be null or a whole number >= 1."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the stream's delivery-error log group, in days."
  nullable    = false
}

variable "rule_arns" {
  type        = list(string)
  description = "ARNs of the rules that target s3-archive; only they may assume the EventBridge role."
  nullable    = false
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary every IAM role of this module carries; null for none."
  default     = null
}
