variable "name" {
  type        = string
  description = "Name of the custom event bus."
  nullable    = false

  validation {
    condition     = can(regex("^[.A-Za-z0-9_-]{1,256}$", var.name)) && var.name != "default"
    error_message = "name must be 1-256 characters from letters, digits, '.', '_' and '-', and not \"default\"."
  }
}

variable "archive_name" {
  type        = string
  description = "Name of the archive that keeps every event of the bus for replay."
  nullable    = false

  validation {
    condition     = can(regex("^[.A-Za-z0-9_-]{1,48}$", var.archive_name))
    error_message = "archive_name must be 1-48 characters from letters, digits, '.', '_' and '-' (EventBridge's limit)."
  }
}

variable "archive_retention_days" {
  type        = number
  description = "Days the archive keeps events; 0 keeps them forever."
  default     = 30
  nullable    = false

  validation {
    condition     = var.archive_retention_days >= 0 && floor(var.archive_retention_days) == var.archive_retention_days
    error_message = "archive_retention_days must be a whole number, 0 (forever) or more."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer-managed KMS key that encrypts the bus and the archive; its key policy must let events.amazonaws.com use it for this bus."
  nullable    = false
}

variable "dead_letter_queue_arn" {
  type        = string
  description = "ARN of the SQS queue the bus sends events to when it cannot process them (for instance KMS errors); its policy must allow the bus ARN."
  nullable    = false
}

variable "publisher_account_ids" {
  type        = list(string)
  description = "Other AWS accounts allowed to PutEvents on the bus; empty creates no bus policy."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.publisher_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "publisher_account_ids must hold 12-digit AWS account ids."
  }
}

variable "publisher_sources" {
  type        = list(string)
  description = "The stack's event sources (events:source): what the publisher policy lets producers put, and all publisher_account_ids may put through the bus policy."
  nullable    = false

  validation {
    condition     = length(var.publisher_sources) > 0
    error_message = "publisher_sources must name at least one source (an empty list would let no producer publish)."
  }

  validation {
    condition     = alltrue([for source in var.publisher_sources : can(regex("^[A-Za-z0-9._-]{1,256}$", source)) && !startswith(source, "aws.")])
    error_message = "publisher_sources must hold event sources such as ecommerce.orders (1-256 letters, digits, '.', '_', '-'; not aws.*, which only AWS may emit)."
  }
}

variable "create_publisher_policy" {
  type        = bool
  description = "Create the producers' managed policy <name>-publisher. IAM names are global: the failover's secondary bus has the same name, so only the primary creates it (covering both buses through publisher_bus_arns)."
  default     = true
  nullable    = false
}

variable "publisher_bus_arns" {
  type        = list(string)
  description = "Other buses the publisher policy allows PutEvents on: the failover's secondary bus (same name, other region), where the global endpoint sends a producer's events while the primary is unhealthy."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.publisher_bus_arns : can(regex("^arn:[a-z-]+:events:[a-z0-9-]+:[0-9]{12}:event-bus/[.A-Za-z0-9_-]+$", arn))])
    error_message = "publisher_bus_arns must hold event bus ARNs (arn:<partition>:events:<region>:<account>:event-bus/<name>)."
  }
}
