variable "create_replication" {
  type        = bool
  description = "Create the replica bus, its key and archive, and the rule that forwards events to it; false creates nothing."
  default     = false
  nullable    = false
}

variable "name_prefix" {
  type        = string
  description = "<project>-<environment>-<suffix>; the rule and role are <name_prefix>-replication, the key alias alias/<name_prefix>-replica."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}$", var.name_prefix))
    error_message = "name_prefix must be 2-39 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "event_bus_name" {
  type        = string
  description = "Name of the primary event bus the replication rule listens on."
  nullable    = false
}

variable "replica_event_bus_name" {
  type        = string
  description = "Name of the replica event bus in the replica region (the primary name + \"-replica\")."
  nullable    = false

  validation {
    condition     = can(regex("^[.A-Za-z0-9_-]{1,256}$", var.replica_event_bus_name)) && var.replica_event_bus_name != "default"
    error_message = "replica_event_bus_name must be 1-256 characters from letters, digits, '.', '_' and '-', and not \"default\"."
  }
}

variable "replica_archive_name" {
  type        = string
  description = "Name of the archive of the replica bus. Its 48-character limit is checked by a precondition on the archive, so it applies only when replication is on."
  nullable    = false

  # Characters only: variable validations run even when create_replication is false, and a long
  # <project>-<environment> must not fail the plan of a stack that replicates nothing.
  validation {
    condition     = can(regex("^[.A-Za-z0-9_-]+$", var.replica_archive_name))
    error_message = "replica_archive_name must consist of letters, digits, '.', '_' and '-'."
  }
}

variable "archive_retention_days" {
  type        = number
  description = "Days the replica archive keeps events; 0 keeps them forever."
  default     = 30
  nullable    = false

  validation {
    condition     = var.archive_retention_days >= 0 && floor(var.archive_retention_days) == var.archive_retention_days
    error_message = "archive_retention_days must be a whole number, 0 (forever) or more."
  }
}

variable "event_sources" {
  type        = list(string)
  description = "Event sources the replication rule forwards (its pattern is {source = event_sources})."
  nullable    = false

  validation {
    condition     = length(var.event_sources) >= 1 && alltrue([for s in var.event_sources : length(s) >= 1])
    error_message = "event_sources must hold at least one non-empty source, e.g. ecommerce.orders."
  }
}

variable "dead_letter_queue_arn" {
  type        = string
  description = "ARN of the primary region's SQS queue for events the replica bus could not take after the retries; its policy must allow the replication rule's ARN."
  nullable    = false
}

variable "retry_policy" {
  type = object({
    maximum_retry_attempts       = optional(number, 185)
    maximum_event_age_in_seconds = optional(number, 86400)
  })
  description = "Retries of the forwarding target; the defaults (EventBridge's maximum: 185 attempts within 24 hours) ride out a regional outage of that length."
  default     = {}
  nullable    = false

  validation {
    condition     = var.retry_policy.maximum_retry_attempts >= 0 && var.retry_policy.maximum_retry_attempts <= 185
    error_message = "retry_policy.maximum_retry_attempts must be from 0 to 185."
  }

  validation {
    condition     = var.retry_policy.maximum_event_age_in_seconds >= 60 && var.retry_policy.maximum_event_age_in_seconds <= 86400
    error_message = "retry_policy.maximum_event_age_in_seconds must be from 60 to 86400."
  }
}

variable "kms_deletion_window_in_days" {
  type        = number
  description = "Waiting period before the replica KMS key is deleted after a destroy."
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be from 7 to 30 (KMS's limits)."
  }
}

variable "region" {
  type        = string
  description = "The primary region (the root's region): where the replication rule and its role live."
  nullable    = false
}

variable "replica_region" {
  type        = string
  description = "The region of the aws.replica provider, where the replica bus and archive live; must differ from region when create_replication is true."
  nullable    = false
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary every IAM role of this module carries; null for none."
  default     = null
}
