variable "create_forwarding" {
  type        = bool
  description = "Create the forwarding rule on the default bus, its target and role; false creates nothing."
  default     = true
  nullable    = false
}

variable "name_prefix" {
  type        = string
  description = "<project>-<environment>-<suffix>; the rule and its role are <name_prefix>-forward-default."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}$", var.name_prefix))
    error_message = "name_prefix must be 2-39 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "event_bus_name" {
  type        = string
  description = "Name of the custom event bus the events are forwarded to (for descriptions)."
  nullable    = false
}

variable "event_bus_arn" {
  type        = string
  description = "ARN of the custom event bus: the rule's target and the only resource the role may PutEvents on."
  nullable    = false

  validation {
    condition     = can(regex("^arn:[a-z-]+:events:[a-z0-9-]+:[0-9]{12}:event-bus/[.A-Za-z0-9_-]+$", var.event_bus_arn)) && !endswith(var.event_bus_arn, ":event-bus/default")
    error_message = "event_bus_arn must be the ARN of a custom event bus (arn:<partition>:events:<region>:<account>:event-bus/<name>), not of the default bus."
  }
}

variable "sources" {
  type        = list(string)
  description = "AWS service sources to forward (aws.ec2, aws.health, ...); the rule's pattern is {source = sources}."
  nullable    = false

  validation {
    condition     = alltrue([for s in var.sources : can(regex("^aws\\.[a-z0-9][a-z0-9.-]*$", s))])
    error_message = "sources must be AWS service sources such as aws.ec2 or aws.health."
  }
}

variable "detail_types" {
  type        = list(string)
  description = "Detail types to forward (e.g. \"EC2 Instance State-change Notification\"); empty forwards every detail type of the sources."
  default     = []
  nullable    = false
}

variable "dead_letter_queue_arn" {
  type        = string
  description = "ARN of the SQS queue for events the custom bus did not take after the retries; its policy must allow the forwarding rule's ARN (output rule_arns)."
  nullable    = false
}

variable "retry_policy" {
  type = object({
    maximum_retry_attempts       = optional(number, 185)
    maximum_event_age_in_seconds = optional(number, 86400)
  })
  description = "Retries of the forwarding target; the defaults are EventBridge's maximum (185 attempts within 24 hours)."
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

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary every IAM role of this module carries; null for none."
  default     = null
}

variable "role_name_suffix" {
  type        = string
  description = "Appended to the name of every role of this module: IAM names are global, so the failover's secondary region gives its roles names of their own (\"\" keeps the names unchanged)."
  default     = ""
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{0,10}$", var.role_name_suffix))
    error_message = "role_name_suffix must be at most 10 characters of IAM's name characters (letters, digits, +=,.@_-)."
  }
}
