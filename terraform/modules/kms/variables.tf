variable "alias_name" {
  type        = string
  description = "The key's alias, \"alias/<name>\"."
  nullable    = false

  validation {
    condition     = can(regex("^alias/[A-Za-z0-9/_-]{1,250}$", var.alias_name)) && !startswith(var.alias_name, "alias/aws/")
    error_message = "alias_name must be \"alias/\" followed by 1-250 letters, digits, '/', '_' or '-', and not start with \"alias/aws/\" (KMS reserves it)."
  }
}

variable "description" {
  type        = string
  description = "The key's description: what it encrypts."
  nullable    = false
}

variable "deletion_window_in_days" {
  type        = number
  description = "Waiting period before the key is deleted after a destroy."
  default     = 30
  nullable    = false

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be from 7 to 30 (KMS's limits)."
  }
}

variable "service_grants" {
  type = list(object({
    sid     = string
    service = string
    actions = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  description = "What each AWS service may do with the key, one key policy statement each, in this order: the statement's Sid, the service principal (events.amazonaws.com, logs.<region>.amazonaws.com, ...), the kms: actions, and the conditions (encryption context, aws:SourceArn, ...) that pin the grant to its resources. Everything else reaches the key through this account's IAM policies."
  default     = []
  nullable    = false

  validation {
    condition     = length(distinct([for grant in var.service_grants : grant.sid])) == length(var.service_grants)
    error_message = "service_grants: each sid must be unique (it names the statement)."
  }

  validation {
    condition     = alltrue([for grant in var.service_grants : can(regex("^[A-Za-z0-9]+$", grant.sid))])
    error_message = "service_grants: a sid is letters and digits only."
  }

  validation {
    condition     = alltrue([for grant in var.service_grants : can(regex("^[a-z0-9.-]+\\.amazonaws\\.com$", grant.service))])
    error_message = "service_grants: service must be an AWS service principal such as events.amazonaws.com."
  }

  validation {
    condition = alltrue([
      for grant in var.service_grants : length(grant.actions) > 0 && alltrue([
        for action in grant.actions : can(regex("^kms:[A-Za-z]+\\*?$", action)) && !contains(["kms:*", "kms:Put*", "kms:PutKeyPolicy", "kms:Create*", "kms:CreateGrant", "kms:ScheduleKeyDeletion", "kms:Disable*", "kms:DisableKey"], action)
      ])
    ])
    error_message = "service_grants: actions must be kms: data-key or describe actions (kms:Decrypt, kms:GenerateDataKey*, ...); a service never gets kms:*, grants, policy changes, disabling or deletion."
  }

  validation {
    condition     = alltrue(flatten([for grant in var.service_grants : [for condition in grant.conditions : length(condition.values) > 0]]))
    error_message = "service_grants: every condition needs at least one value (an empty list would match nothing, or be refused)."
  }
}
