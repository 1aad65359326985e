variable "name_prefix" {
  type        = string
  description = "<project>-<environment>-<suffix>; each rule is named <name_prefix>-<rule key>."
  nullable    = false
}

variable "event_bus_name" {
  type        = string
  description = "Name of the custom event bus the rules listen on."
  nullable    = false
}

variable "rules" {
  type = map(object({
    description   = optional(string, "")
    enabled       = optional(bool, true)
    state         = optional(string)
    event_pattern = string
    targets = map(object({
      target = string
      input_transformer = optional(object({
        input_paths    = optional(map(string), {})
        input_template = string
      }))
      retry_policy = optional(object({
        maximum_retry_attempts       = optional(number, 185)
        maximum_event_age_in_seconds = optional(number, 86400)
      }), {})
      dead_letter_queue = optional(bool, true)
    }))
  }))
  description = "Rule name -> event pattern and targets; each target is keyed by its EventBridge target id and names a logical target, a key of target_arns."
  nullable    = false

  # PutRule's State; null follows enabled. ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS also matches the
  # read-only management events CloudTrail delivers (eb-service-event-cloudtrail-management).
  validation {
    condition = alltrue([
      for r in values(var.rules) : r.state == null || contains(["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"], coalesce(r.state, "ENABLED"))
    ])
    error_message = "rules[*].state must be ENABLED, DISABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (or null: enabled decides)."
  }

  # Each key becomes part of a Lambda permission's statement id (AllowEventBridgeRule-<key>), whose pattern
  # AWS defines as ([a-zA-Z0-9-_]+): a '.' would fail AddPermission at apply time.
  validation {
    condition     = alltrue([for name in keys(var.rules) : can(regex("^[A-Za-z0-9_-]+$", name))])
    error_message = "Rule keys may hold only letters, digits, '_' and '-' (a Lambda permission's statement id allows nothing else)."
  }

  validation {
    condition     = alltrue([for r in values(var.rules) : length(r.targets) >= 1 && length(r.targets) <= 5])
    error_message = "Each rule needs 1 to 5 targets (EventBridge's limit per rule)."
  }

  validation {
    condition = alltrue(flatten([
      for r in values(var.rules) : [
        for t in values(r.targets) : t.retry_policy.maximum_retry_attempts >= 0 && t.retry_policy.maximum_retry_attempts <= 185
      ]
    ]))
    error_message = "retry_policy.maximum_retry_attempts must be from 0 to 185."
  }

  validation {
    condition = alltrue(flatten([
      for r in values(var.rules) : [
        for t in values(r.targets) : t.retry_policy.maximum_event_age_in_seconds >= 60 && t.retry_policy.maximum_event_age_in_seconds <= 86400
      ]
    ]))
    error_message = "retry_policy.maximum_event_age_in_seconds must be from 60 to 86400."
  }
}

variable "target_arns" {
  type        = map(string)
  description = "Logical target name (processor, notifier, analytics, notifications, batch-queue, order-workflow) -> ARN EventBridge delivers to."
  nullable    = false
}

variable "target_role_arns" {
  type        = map(string)
  description = "Logical target name -> IAM role EventBridge assumes to deliver to it, for the targets that cannot be authorised by a resource policy (Step Functions state machines); the others get no role."
  default     = {}
  nullable    = false
}

variable "function_names" {
  type        = map(string)
  description = "Logical target name -> Lambda function name, for the targets that are functions; each gets a lambda permission per rule that targets it."
  nullable    = false
}

variable "dead_letter_queue_arn" {
  type        = string
  description = "ARN of the standard SQS queue that receives events a target could not take after its retries."
  nullable    = false
}
