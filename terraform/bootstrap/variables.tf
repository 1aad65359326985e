variable "region" {
  type        = string
  description = "Region of the state bucket and its key (the `region` of the environment files' backend)."

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "project" {
  type        = string
  description = "The `project` of environments/<env>.toml: each environment's deploy role manages only resources named <project>-<environment>-*."
  default     = "ecommerce"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.project))
    error_message = "project must be 2-20 characters: a lowercase letter, then lowercase letters, digits or '-'."
  }
}

variable "github_repository" {
  type        = string
  description = "The repository allowed to assume the roles, as owner/name (the OIDC token's `repository` claim)."

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, for example acme/eventbridge-platform."
  }
}

variable "environments" {
  type        = set(string)
  description = "Tooling environments (and the GitHub environments of the same names): each gets its own deploy role, plan role and permissions boundary."
  default     = ["dev", "prod"]
  nullable    = false

  validation {
    condition     = alltrue([for env in var.environments : can(regex("^[a-z][a-z0-9-]{1,9}$", env))])
    error_message = "environments must be tooling environment names: 2-10 characters, a lowercase letter, then lowercase letters, digits or '-'."
  }
}

variable "state_bucket_name" {
  type        = string
  description = "Name of the S3 bucket for the Terraform states (globally unique; the TF_STATE_BUCKET variable)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, '.' or '-'."
  }
}

variable "state_noncurrent_days" {
  type        = number
  description = "Days a superseded state version is kept (versioning is the undo of a bad apply)."
  default     = 90

  validation {
    condition     = var.state_noncurrent_days >= 1
    error_message = "state_noncurrent_days must be at least 1."
  }
}

variable "create_oidc_provider" {
  type        = bool
  description = "Create the GitHub OIDC identity provider; false when the account already has one for token.actions.githubusercontent.com."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Extra tags on every bootstrap resource."
  default     = {}
  nullable    = false
}

variable "workflow_file" {
  type        = string
  description = "The repository's deploy workflow: only its jobs may assume the roles (the OIDC token's job_workflow_ref)."
  default     = ".github/workflows/deploy.yml"

  validation {
    condition     = can(regex("^\\.github/workflows/[A-Za-z0-9._-]+\\.ya?ml$", var.workflow_file))
    error_message = "workflow_file must be a workflow path such as .github/workflows/deploy.yml."
  }
}

variable "drift_workflow_file" {
  type        = string
  description = "The scheduled drift workflow: its jobs on deploy_branch may assume the plan roles (read-only), never the deploy roles."
  default     = ".github/workflows/drift.yml"

  validation {
    condition     = can(regex("^\\.github/workflows/[A-Za-z0-9._-]+\\.ya?ml$", var.drift_workflow_file))
    error_message = "drift_workflow_file must be a workflow path such as .github/workflows/drift.yml."
  }
}

variable "deploy_branch" {
  type        = string
  description = "The branch deploys and main-branch plans run from (the token's ref, refs/heads/<branch>)."
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.deploy_branch))
    error_message = "deploy_branch must be a branch name such as main."
  }
}

variable "pull_request_environment" {
  type        = string
  description = "The one environment whose plan role pull requests may assume (it reads that environment's stack and state only)."
  default     = "dev"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,9}$", var.pull_request_environment))
    error_message = "pull_request_environment must be a tooling environment name such as dev."
  }
}
