variable "name_prefix" {
  type        = string
  description = "<project>-<environment>-<suffix>; every name in this module starts with it."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}$", var.name_prefix))
    error_message = "name_prefix must be 2-39 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the KMS key (module kms) that encrypts the notifications topic and the batch queue; its policy must let EventBridge use it for both, by the names below. The dead-letter queues use SSE-SQS, not this key."
  nullable    = false
}

variable "notifications_topic_name" {
  type        = string
  description = "Name of the notifications topic. Passed in rather than built here: the key policy names the topic before it exists (it is encrypted with that key), from this same name."
  nullable    = false
}

variable "batch_queue_name" {
  type        = string
  description = "Name of the batch queue; passed in for the same reason as notifications_topic_name."
  nullable    = false
}

variable "event_source_arns" {
  type = object({
    notifications = list(string)
    batch_queue   = list(string)
    events_dlq    = list(string)
  })
  description = "ARNs EventBridge may deliver from, per destination: rules targeting the notifications topic, rules targeting the batch queue, and rules (plus the bus) dead-lettering into the events DLQ. An empty list grants nothing."
  nullable    = false

  validation {
    condition = alltrue([
      for arn in concat(var.event_source_arns.notifications, var.event_source_arns.batch_queue, var.event_source_arns.events_dlq) : can(regex("^arn:[a-z-]+:events:", arn))
    ])
    error_message = "event_source_arns must hold EventBridge rule or event bus ARNs (arn:<partition>:events:...)."
  }
}

variable "notifier_function" {
  type = object({
    name = string
    arn  = string
  })
  description = "The notifier Lambda function, subscribed to the notifications topic; null only when create_targets is false."
  default     = null
}

variable "create_targets" {
  type        = bool
  description = "Create the notifications topic (with the notifier's subscription), the batch queue and their dead-letter queues: what the rules deliver to. false keeps only the events DLQ, for a standby region whose bus consumes nothing ([failover] secondary_consumers = false)."
  default     = true
  nullable    = false
}

variable "notification_email" {
  type        = string
  description = "Optional email address subscribed to the notifications topic; null subscribes nobody."
  default     = null
}

variable "batch_queue_visibility_timeout_seconds" {
  type        = number
  description = "Visibility timeout of the batch queue; keep it above the longest time a consumer needs for one receive (AWS recommends 6x a Lambda consumer's timeout)."
  default     = 300
  nullable    = false

  validation {
    condition     = var.batch_queue_visibility_timeout_seconds >= 0 && var.batch_queue_visibility_timeout_seconds <= 43200
    error_message = "batch_queue_visibility_timeout_seconds must be from 0 to 43200 (SQS's limit)."
  }
}

variable "batch_queue_max_message_size" {
  type        = number
  description = "Largest message the batch queue takes, in bytes: SQS's 1 MiB (since 2025; EventBridge events up to 1 MiB since January 2026), so every event a rule sends fits. Kept equal to tooling/aws_limits.py SQS_MESSAGE_BYTES by a test."
  default     = 1048576
  nullable    = false

  validation {
    condition     = var.batch_queue_max_message_size >= 1024 && var.batch_queue_max_message_size <= 1048576 && floor(var.batch_queue_max_message_size) == var.batch_queue_max_message_size
    error_message = "batch_queue_max_message_size must be a whole number of bytes from 1024 to 1048576 (SQS's MaximumMessageSize)."
  }
}

variable "batch_queue_max_receive_count" {
  type        = number
  description = "Receives after which a batch queue message moves to the batch dead-letter queue."
  default     = 5
  nullable    = false

  validation {
    condition     = var.batch_queue_max_receive_count >= 1 && var.batch_queue_max_receive_count <= 1000
    error_message = "batch_queue_max_receive_count must be from 1 to 1000."
  }
}
