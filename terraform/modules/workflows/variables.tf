variable "create_workflow" {
  type        = bool
  description = "Create the state machine, its log group and both roles; the root sets it when a rule of the routing table targets order-workflow."
  nullable    = false
}

variable "name_prefix" {
  type        = string
  description = "<project>-<environment>-<suffix>; the state machine is <name_prefix>-order-fulfilment."
  nullable    = false
}

variable "event_bus_name" {
  type        = string
  description = "Name of the custom event bus the workflow publishes its decisions on."
  nullable    = false
}

variable "event_bus_arn" {
  type        = string
  description = "ARN of that bus; the only resource the state machine role may events:PutEvents on."
  nullable    = false
}

variable "high_value_threshold" {
  type        = number
  description = "Order total above which the workflow publishes Order Flagged instead of Order Accepted."
  nullable    = false

  validation {
    condition     = var.high_value_threshold > 0
    error_message = "high_value_threshold must be greater than 0."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the KMS key that encrypts the execution log group; its policy must let CloudWatch Logs use it for /aws/vendedlogs/states/<name_prefix>-*."
  nullable    = false
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the execution log group, in days (a CloudWatch Logs value)."
  nullable    = false
}

variable "rule_arns" {
  type        = list(string)
  description = "ARNs of the rules that target the workflow; only they may assume the target role (aws:SourceArn)."
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.rule_arns : can(regex("^arn:[^:]+:events:[^:]+:[0-9]{12}:rule/", arn))])
    error_message = "rule_arns must hold EventBridge rule ARNs (arn:<partition>:events:<region>:<account>:rule/...)."
  }
}

variable "region" {
  type        = string
  description = "Region the module's resources live in (the root's region), for ARNs and kms:ViaService values."
  nullable    = false
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
