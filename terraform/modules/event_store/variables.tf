variable "create_table" {
  type        = bool
  description = "Create the event store ([event_store] enabled in the environment file)."
  default     = true
  nullable    = false
}

variable "table_name" {
  type        = string
  description = "Name of the table: <project>-<environment>-<suffix>-events."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3-255 characters of letters, digits, '_', '-' and '.' (DynamoDB's rule)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the stack's KMS key (module.kms.key_arn); the table is encrypted with it."
  nullable    = false
}

variable "point_in_time_recovery" {
  type        = bool
  description = "Continuous backups (point-in-time recovery, 35 days) of the table."
  default     = true
  nullable    = false
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the table against deletion; leave false where environments are torn down with `make destroy`."
  default     = false
  nullable    = false
}

variable "replica" {
  type = object({
    region_name = string
    kms_key_arn = string
  })
  description = "A replica of the table in another region (a DynamoDB global table), encrypted with that region's key: the failover's secondary, whose batch consumer writes the same store. null keeps the table in this region only."
  default     = null
}
