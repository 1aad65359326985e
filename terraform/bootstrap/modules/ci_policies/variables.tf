variable "project" {
  type        = string
  description = "The `project` of environments/<env>.toml: the stack's names start with <project>-<environment>-."
}

variable "environment" {
  type        = string
  description = "The environment these documents are for; each role reaches only its environment's names and state."
}

variable "partition" {
  type        = string
  description = "The AWS partition (aws, aws-cn, aws-us-gov)."
}

variable "dns_suffix" {
  type        = string
  description = "The partition's DNS suffix (amazonaws.com), for the kms:ViaService service names."
}

variable "account_id" {
  type        = string
  description = "The account the stack and the roles live in."
}

variable "state_bucket_arn" {
  type        = string
  description = "ARN of the Terraform state bucket."
}

variable "state_key_arn" {
  type        = string
  description = "ARN of the KMS key of the state objects."
}

variable "state_region" {
  type        = string
  description = "Region of the state bucket (S3 calls KMS from there: kms:ViaService)."
}

variable "environments" {
  type        = set(string)
  description = "Every environment of the bootstrap: the deploy role may touch no environment's CI roles or boundary."
  nullable    = false
}

variable "oidc_provider_arn" {
  type        = string
  description = "ARN of the GitHub OIDC identity provider the roles trust."
}

variable "oidc_host" {
  type        = string
  description = "The OIDC issuer host, the prefix of the token's condition keys (token.actions.githubusercontent.com)."
}

variable "github_repository" {
  type        = string
  description = "owner/name of the repository whose workflow may assume the roles."
}

variable "workflow_file" {
  type        = string
  description = "Path of the deploy workflow in the repository: the token's job_workflow_ref must name it."
}

variable "drift_workflow_file" {
  type        = string
  description = "Path of the scheduled drift workflow: its jobs on deploy_branch may assume the plan role too."
}

variable "deploy_branch" {
  type        = string
  description = "The branch deploys and main-branch plans run from (refs/heads/<branch>)."
}

variable "pull_requests" {
  type        = bool
  description = "Whether this environment's plan role also trusts pull_request jobs (only one environment's should)."
}
