variable "service" {
  type        = string
  description = "The service of the resources, which sets the actions denied: \"s3\" (s3:*), \"sqs\" (sqs:*) or \"sns\" (every action a topic policy can name)."
  nullable    = false

  validation {
    condition     = contains(["s3", "sns", "sqs"], var.service)
    error_message = "service must be one of \"s3\", \"sns\", \"sqs\"."
  }
}

variable "resources" {
  type        = list(string)
  description = "ARNs the statement covers: the queue, the topic, or the bucket and its objects (\"<bucket arn>/*\")."
  nullable    = false

  validation {
    condition     = length(var.resources) > 0
    error_message = "resources must name at least one ARN."
  }
}
