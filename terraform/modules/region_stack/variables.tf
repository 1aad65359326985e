# The root's settings (validated there, from the environment file) and what sets this region's part apart.
# Module-level checks stay light: the root's variables carry the validations.

variable "region" {
  type        = string
  description = "The region of this stack (the aws provider passed in must be configured for it): ARNs and kms:ViaService values."
  nullable    = false
}

variable "name_prefix" {
  type        = string
  description = "<project>-<environment>-<suffix>; every name of the stack starts with it, the same in both regions (the global endpoint needs the same bus name)."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}$", var.name_prefix))
    error_message = "name_prefix must be 2-39 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "primary" {
  type        = bool
  description = "The primary region's stack: it alone creates the schema registry, the S3 event archive, the producers' publisher policy and the tables (global tables when table_replica is set). false: the failover's secondary region."
  default     = true
  nullable    = false
}

variable "consumers" {
  type        = bool
  description = "Run the consumers here: rules and targets, functions, topic and queues, alarms. false (a standby secondary, [failover] secondary_consumers = false) keeps only the bus, its archive, its key and the bus's dead-letter queue; events that reach it wait in the archive for a replay."
  default     = true
  nullable    = false
}

variable "global_name_suffix" {
  type        = string
  description = "Appended to the names AWS keeps per account rather than per region (IAM roles, the CloudWatch dashboard), so the secondary's do not collide with the primary's; \"\" in the primary keeps every name unchanged."
  default     = ""
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{0,10}$", var.global_name_suffix))
    error_message = "global_name_suffix must be at most 10 characters of letters, digits, '_' and '-'."
  }
}

variable "shared_tables" {
  type = object({
    idempotency = object({
      name = string
      arn  = string
    })
    event_store = optional(object({
      name = string
      arn  = string
    }))
  })
  description = "The tables this region uses instead of creating its own: in the secondary, the replicas of the primary's global tables (idempotency, and the event store when it exists). null creates them (the primary)."
  default     = null
}

variable "table_replica" {
  type = object({
    region_name = string
    kms_key_arn = string
  })
  description = "Make the idempotency table and the event store DynamoDB global tables with a replica in this region, encrypted with its key (the secondary's, when it runs consumers); null keeps them regional."
  default     = null
}

variable "publisher_bus_arns" {
  type        = list(string)
  description = "Other buses the producers' publisher policy allows PutEvents on: the secondary's bus, where the global endpoint sends events while the primary is unhealthy."
  default     = []
  nullable    = false
}

variable "functions" {
  type = map(object({
    handler                   = string
    memory_mb                 = number
    timeout_seconds           = number
    reserved_concurrency      = optional(number)
    maximum_retry_attempts    = optional(number, 2)
    maximum_event_age_seconds = optional(number, 21600)
  }))
  description = "The Lambda functions (the root's functions)."
  nullable    = false
}

variable "lambda_zip_path" {
  type        = string
  description = "Path of the Lambda deployment package; every function of both regions runs it."
  nullable    = false
}

variable "lambda_zip_sha256" {
  type        = string
  description = "Base64-encoded SHA-256 of the package."
  nullable    = false
}

variable "high_value_threshold" {
  type        = number
  description = "Order total above which the processor and the workflow flag an order."
  nullable    = false
}

variable "webhook_parameter" {
  type        = string
  description = "Name of the SSM SecureString parameter with the notifier's webhook URL, or null. SSM parameters are regional: the secondary's notifier reads the parameter of that name in its own region."
  default     = null
}

variable "notification_email" {
  type        = string
  description = "Email subscribed to the notifications topic, or null; the primary's topic only."
  default     = null
}

variable "alarm_email" {
  type        = string
  description = "Email subscribed to this region's operations topic, or null."
  default     = null
}

variable "archive_retention_days" {
  type        = number
  description = "Days the bus archive keeps events; 0 keeps them forever."
  nullable    = false
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the log groups, in days."
  nullable    = false
}

variable "alarms" {
  type = object({
    period_seconds     = number
    evaluation_periods = number
    lambda_errors      = number
    lambda_throttles   = number
    failed_invocations = number
    dlq_messages       = number
  })
  description = "Alarm period and thresholds (the root's alarms)."
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
  description = "The routing table (the root's rules); the secondary leaves out the s3-archive targets."
  nullable    = false
}

variable "publisher_account_ids" {
  type        = list(string)
  description = "Other AWS accounts allowed to PutEvents on the bus."
  default     = []
  nullable    = false
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of every IAM role of the stack; null for none."
  default     = null
}

variable "schemas" {
  type        = map(string)
  description = "Event schemas for the registry (primary only)."
  default     = {}
  nullable    = false
}

variable "schema_registry" {
  type = object({
    registry   = optional(bool, true)
    discoverer = optional(bool, false)
  })
  description = "The [schemas] settings (primary only)."
  default     = {}
  nullable    = false
}

variable "forwarding" {
  type = object({
    enabled      = optional(bool, true)
    sources      = optional(list(string), ["aws.ec2", "aws.health"])
    detail_types = optional(list(string), [])
  })
  description = "The [forwarding] settings: each region with consumers forwards its own default bus's service events."
  default     = {}
  nullable    = false
}

variable "create_s3_archive" {
  type        = bool
  description = "Whether the S3 event archive exists (the root's create_s3_archive, decided by tooling/config.py); the primary region's only."
  nullable    = false
}

variable "create_workflow" {
  type        = bool
  description = "Whether the order-fulfilment state machine exists (the root's create_workflow, decided by tooling/config.py); in a region with consumers only."
  nullable    = false
}

variable "s3_archive" {
  type = object({
    buffer_size_mb          = optional(number, 64)
    buffer_interval_seconds = optional(number, 300)
    transition_days         = optional(number, 30)
    storage_class           = optional(string, "GLACIER_IR")
    expiration_days         = optional(number)
  })
  description = "The [s3_archive] settings (primary only)."
  default     = {}
  nullable    = false
}

variable "batch_processor" {
  type = object({
    enabled                 = optional(bool, true)
    batch_size              = optional(number, 10)
    batching_window_seconds = optional(number, 5)
    # Lambda's FilterCriteria pattern (JSON text) for the event source mapping; null filters nothing.
    filter_pattern = optional(string)
  })
  description = "The [batch_processor] settings."
  default     = {}
  nullable    = false
}

variable "event_store" {
  type = object({
    enabled                = optional(bool, true)
    ttl_days               = optional(number, 90)
    point_in_time_recovery = optional(bool, true)
  })
  description = "The [event_store] settings."
  default     = {}
  nullable    = false
}
