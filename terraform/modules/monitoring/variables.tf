variable "name_prefix" {
  type        = string
  description = "<project>-<environment>-<suffix>; alarm, topic and dashboard names start with it."
  nullable    = false
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
  description = "Rule key -> AWS rule name; each rule gets a FailedInvocations and an InvocationsFailedToBeSentToDlq alarm."
  nullable    = false
}

variable "function_names" {
  type        = map(string)
  description = "Logical name -> Lambda function name; each function gets an Errors and a Throttles alarm."
  nullable    = false
}

variable "dead_letter_queue_names" {
  type        = map(string)
  description = "Logical name -> SQS dead-letter queue name; each gets a depth alarm (any message means lost work)."
  nullable    = false
}

variable "batch_queue_name" {
  type        = string
  description = "Name of the batch queue, shown on the dashboard."
  nullable    = false
}

variable "state_machine_arns" {
  type        = map(string)
  description = "Logical target name -> Step Functions state machine ARN; each gets an ExecutionsFailed and an ExecutionsTimedOut alarm."
  default     = {}
  nullable    = false
}
