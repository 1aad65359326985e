variable "name" {
  type        = string
  description = "Name of the global endpoint (<name_prefix>-endpoint)."
  nullable    = false

  validation {
    condition     = can(regex("^[.A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters from letters, digits, '.', '_' and '-' (EventBridge's endpoint names)."
  }
}

variable "name_prefix" {
  type        = string
  description = "<project>-<environment>-<suffix>: the health alarm is <name_prefix>-failover-health, the replication role <name_prefix>-endpoint-replication."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}$", var.name_prefix))
    error_message = "name_prefix must be 2-39 characters of lowercase letters, digits and '-', starting with a letter."
  }
}

variable "primary_region" {
  type        = string
  description = "The primary region (the aws provider's): its bus receives while the health check is healthy; the alarm lives there."
  nullable    = false
}

variable "secondary_region" {
  type        = string
  description = "The secondary region: its bus (same name) receives while the health check is unhealthy."
  nullable    = false
}

variable "event_bus_name" {
  type        = string
  description = "Name of the two buses (identical in both regions, as global endpoints require)."
  nullable    = false
}

variable "primary_event_bus_arn" {
  type        = string
  description = "ARN of the primary region's bus."
  nullable    = false
}

variable "secondary_event_bus_arn" {
  type        = string
  description = "ARN of the secondary region's bus (same name)."
  nullable    = false
}

variable "replication" {
  type        = bool
  description = "Event replication: EventBridge copies every custom event to the other region's bus too (AWS recommends it: the secondary stays exercised and traffic returns by itself). Creates the replication role."
  default     = true
  nullable    = false
}

variable "health_alarm" {
  type = object({
    metric             = string
    statistic          = string
    threshold          = number
    period_seconds     = number
    evaluation_periods = number
    treat_missing_data = string
  })
  description = "[failover.health_alarm]: the AWS/Events metric the alarm watches in the primary region, its statistic, the threshold it fires above, the period and evaluation periods, and the missing-data treatment."
  nullable    = false

  validation {
    condition     = contains(["IngestionToInvocationStartLatency", "FailedInvocations", "ThrottledRules", "InvocationsFailedToBeSentToDlq"], var.health_alarm.metric)
    error_message = "health_alarm.metric must be one of IngestionToInvocationStartLatency, FailedInvocations, ThrottledRules, InvocationsFailedToBeSentToDlq."
  }

  validation {
    condition     = contains(["Average", "Maximum", "Sum"], var.health_alarm.statistic)
    error_message = "health_alarm.statistic must be one of Average, Maximum, Sum (Route 53 health checks support no extended statistics such as p99)."
  }

  validation {
    condition     = var.health_alarm.period_seconds >= 60 && var.health_alarm.period_seconds % 60 == 0
    error_message = "health_alarm.period_seconds must be a multiple of 60 (AWS/Events metrics are standard resolution; Route 53 supports no high-resolution alarms)."
  }

  validation {
    condition     = contains(["breaching", "notBreaching", "ignore", "missing"], var.health_alarm.treat_missing_data)
    error_message = "health_alarm.treat_missing_data must be one of breaching, notBreaching, ignore, missing."
  }
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic the health alarm notifies on ALARM and OK (the primary's operations topic); null notifies nobody."
  default     = null
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of the replication role; null for none."
  default     = null
}
