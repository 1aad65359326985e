variable "name_prefix" {
  type        = string
  description = "<project>-<environment>-<suffix>; function, role, queue and table names start with it."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}$", var.name_prefix))
    error_message = "name_prefix must be 2-39 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "functions" {
  type = map(object({
    handler              = string
    memory_mb            = number
    timeout_seconds      = number
    reserved_concurrency = optional(number)
    # Lambda's asynchronous invocation config: retries of a function error, and the event's maximum age.
    maximum_retry_attempts    = optional(number, 2)
    maximum_event_age_seconds = optional(number, 21600)
  }))
  description = "The functions to create, keyed processor | notifier | analytics | batch-processor; all run from the one zip."
  nullable    = false

  validation {
    condition     = length(setsubtract(keys(var.functions), ["processor", "notifier", "analytics", "batch-processor"])) == 0 && contains(keys(var.functions), "notifier")
    error_message = "functions keys must be among processor, notifier, analytics and batch-processor, and notifier must be present (the notifications topic delivers to it)."
  }
}

variable "batch_consumer" {
  type = object({
    queue_arn               = string
    batch_size              = number
    batching_window_seconds = number
    # Lambda's FilterCriteria pattern (JSON text): messages it does not match are deleted, not delivered.
    filter_pattern = optional(string)
    # The event store the consumer writes to; null consumes (validates and counts) without storing.
    event_store = optional(object({
      table_name = string
      table_arn  = string
      ttl_days   = number
    }))
  })
  description = "The batch queue's event source mapping to the batch-processor function (which var.functions must hold); null creates none."
  default     = null

  validation {
    condition     = var.batch_consumer == null || try(var.batch_consumer.batch_size >= 1 && var.batch_consumer.batch_size <= 10000 && floor(var.batch_consumer.batch_size) == var.batch_consumer.batch_size, false)
    error_message = "batch_consumer.batch_size must be a whole number from 1 to 10000 (Lambda's limit for SQS)."
  }

  validation {
    condition     = var.batch_consumer == null || try(var.batch_consumer.batching_window_seconds >= 0 && var.batch_consumer.batching_window_seconds <= 300 && floor(var.batch_consumer.batching_window_seconds) == var.batch_consumer.batching_window_seconds, false)
    error_message = "batch_consumer.batching_window_seconds must be a whole number from 0 to 300."
  }
}

variable "lambda_zip_path" {
  type        = string
  description = "Path of the deployment package every function runs from."
  nullable    = false
}

variable "lambda_zip_sha256" {
  type        = string
  description = "Base64 SHA-256 of the package, used as source_code_hash: a changed zip redeploys, an unchanged one never does."
  nullable    = false
}

variable "runtime" {
  type        = string
  description = "Lambda Python runtime."
  default     = "python3.13"
  nullable    = false

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.12 or python3.13 (the supported runtimes the code is tested on)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the KMS key that encrypts log groups, environment variables, the idempotency table, the batch queue and the event store (the dead-letter queues use SSE-SQS)."
  nullable    = false
}

variable "log_retention_days" {
  type        = number
  description = "Retention of each function's log group, in days."
  default     = 14
  nullable    = false

  validation {
    condition = contains([
      1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
    ], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_level" {
  type        = string
  description = "Application log level (LOG_LEVEL and Lambda's application_log_level)."
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARN, ERROR."
  }
}

variable "metrics_namespace" {
  type        = string
  description = "CloudWatch namespace of the functions' business metrics (POWERTOOLS_METRICS_NAMESPACE)."
  default     = "EcommerceEvents"
  nullable    = false
}

variable "high_value_threshold" {
  type        = number
  description = "Order total above which the processor marks an order high priority (HIGH_VALUE_THRESHOLD)."
  nullable    = false
}

variable "webhook_parameter" {
  type        = string
  description = "Optional name of the SSM SecureString parameter (encrypted with kms_key_arn) holding the notifier's webhook URL: WEBHOOK_PARAMETER, and the notifier may read only that parameter. The value is never read by Terraform."
  default     = null

  validation {
    condition     = var.webhook_parameter == null || can(regex("^(/[A-Za-z0-9_.-]+){1,15}$", var.webhook_parameter))
    error_message = "webhook_parameter must be null or a hierarchical SSM parameter name such as /ecommerce/dev/webhook-url."
  }
}

variable "idempotency_deletion_protection" {
  type        = bool
  description = "Protect the idempotency table against deletion; leave false where environments are torn down with `make destroy`."
  default     = false
  nullable    = false
}

variable "idempotency_table" {
  type = object({
    name = string
    arn  = string
  })
  description = "An existing idempotency table to use instead of creating <name_prefix>-idempotency: the secondary region's replica of the primary's global table ([failover] secondary_consumers). null creates the table."
  default     = null
}

variable "idempotency_replica" {
  type = object({
    region_name = string
    kms_key_arn = string
  })
  description = "A replica of the idempotency table in another region (a DynamoDB global table), encrypted with that region's key; null keeps the table in this region only."
  default     = null
}

variable "role_name_suffix" {
  type        = string
  description = "Appended to every role name: IAM names are global, so the failover's secondary region gives its roles names of their own (\"\" in the primary keeps the names unchanged)."
  default     = ""
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{0,10}$", var.role_name_suffix))
    error_message = "role_name_suffix must be at most 10 characters of IAM's name characters (letters, digits, +=,.@_-)."
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
