variable "create" {
  type        = bool
  description = "Create the role (false: nothing, and the arn output is null)."
}

variable "name" {
  type        = string
  description = "Role name."

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of IAM's role name characters (letters, digits, +=,.@_-): shorten project or environment."
  }
}

variable "description" {
  type        = string
  description = "Role description: which rules may assume it and what for."
}

variable "account_id" {
  type        = string
  description = "This account's id: only its rules may assume the role (aws:SourceAccount)."
}

variable "rule_arns" {
  type        = list(string)
  description = "ARNs of the rules that may assume the role (aws:SourceArn)."
  nullable    = false
}

variable "policy_name" {
  type        = string
  description = "Name of the role's inline policy."
}

variable "policy_json" {
  type        = string
  description = "The role's inline policy document (JSON); null only when create is false."
  default     = null
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary every IAM role of this module carries; null for none."
  default     = null
}
