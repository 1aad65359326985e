variable "name_prefix" {
  type        = string
  description = "<project>-<environment>-<suffix>; alarm, topic and dashboard names start with it."
  nullable    = false
}

variable "topic_name" {
  type        = string
  description = "Name of the operations SNS topic every alarm notifies (<name_prefix>-operations); the key policy of kms_key_arn names the same topic."
  nullable    = false
}

variable "alarm_email" {
  type        = string
  description = "Optional email address subscribed to the operations topic (AWS mails a confirmation link); null subscribes nobody."
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", var.alarm_email))
    error_message = "alarm_email must be null or an email address such as oncall@example.com."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the KMS key that encrypts the operations topic; its policy must let cloudwatch.amazonaws.com use it for these alarms."
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
  description = "Alarm period (seconds), evaluation periods and the threshold of each alarm family."
  nullable    = false

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarms.period_seconds)
    error_message = "alarms.period_seconds must be one of 60, 300, 900, 3600."
  }
}

variable "event_bus_name" {
  type        = string
  description = "Name of the event bus (the EventBusName dimension of the rule metrics)."
  nullable    = false
}

variable "rule_names" {
  type        = map(string)
  description = "Rule key -> AWS rule name: the catalogue's rules collection (alarm_catalogue.json), one alarm per family named after the key (a key \"forwarding\" would name the forwarding rule's alarms: the plan fails on the duplicate)."
  nullable    = false
}

variable "function_names" {
  type        = map(string)
  description = "Logical name -> Lambda function name: the catalogue's functions collection (and async_functions: all but batch_consumer_function)."
  nullable    = false
}

variable "dead_letter_queue_names" {
  type        = map(string)
  description = "Logical name -> SQS dead-letter queue name: the catalogue's dead_letter_queues collection (a depth alarm: any message means lost work)."
  nullable    = false
}

variable "batch_queue_name" {
  type        = string
  description = "Name of the batch queue: shown on the dashboard; the catalogue's batch_queue collection (the age of its oldest message)."
  nullable    = false
}

variable "state_machine_arns" {
  type        = map(string)
  description = "Logical target name -> Step Functions state machine ARN: the catalogue's state_machines collection (failed and timed-out executions)."
  default     = {}
  nullable    = false
}

variable "region" {
  type        = string
  description = "Region the module's resources live in (the root's region), for ARNs and kms:ViaService values."
  nullable    = false
}

variable "forwarding_rule_name" {
  type        = string
  description = "Name of the rule on the default bus that forwards AWS service events to the custom bus: the catalogue's forwarding_rules collection (key forwarding); null (forwarding off) creates no alarm for it."
  default     = null
}

variable "firehose_stream_names" {
  type        = map(string)
  description = "Logical name (s3-archive) -> Firehose delivery stream name: the catalogue's firehose_streams collection (failed deliveries to S3). Empty when the S3 archive is off."
  default     = {}
  nullable    = false
}

variable "batch_consumer_function" {
  type        = string
  description = "Name of the batch queue's consumer function (batch-processor); null when there is none: the catalogue's batch_consumer collection (its failed messages: a partial batch failure is no Lambda error), and left out of async_functions (no function DLQ)."
  default     = null
}

variable "dashboard_name_suffix" {
  type        = string
  description = "Appended to the dashboard's name (<name_prefix>): dashboards are global to the account, so the failover's secondary region names its own apart (\"\" keeps the name unchanged)."
  default     = ""
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{0,10}$", var.dashboard_name_suffix))
    error_message = "dashboard_name_suffix must be at most 10 characters of letters, digits, '_' and '-'."
  }
}
