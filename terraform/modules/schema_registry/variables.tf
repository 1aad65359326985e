variable "registry_name" {
  type        = string
  description = "Name of the schema registry."
  nullable    = false

  validation {
    condition     = can(regex("^[.A-Za-z0-9_-]{1,64}$", var.registry_name)) && !startswith(var.registry_name, "aws.")
    error_message = "registry_name must be 1-64 characters from letters, digits, '.', '_' and '-', and not start with 'aws.' (AWS reserves it)."
  }
}

variable "event_bus_name" {
  type        = string
  description = "Name of the event bus whose events the schemas describe (used in descriptions)."
  nullable    = false
}

variable "event_bus_arn" {
  type        = string
  description = "ARN of the event bus the discoverer watches (only used when create_discoverer is true)."
  nullable    = false
}

variable "event_bus_kms_key_arn" {
  type        = string
  description = "ARN of the customer-managed key encrypting the bus, or null for an AWS owned key; discovery needs null."
  default     = null
}

variable "schemas" {
  type        = map(string)
  description = "Schema name (<source>@<DetailTypeWithoutSpaces>, e.g. ecommerce.orders@OrderCreated) -> JSON Schema draft 4 document of the event's detail."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for name in keys(var.schemas) : can(regex("^[A-Za-z0-9._@-]{1,385}$", name))])
    error_message = "schemas keys must be 1-385 characters from letters, digits, '.', '_', '@' and '-'."
  }

  validation {
    condition     = alltrue([for content in values(var.schemas) : can(keys(jsondecode(content))) && length(content) <= 100000])
    error_message = "schemas values must be JSON objects of at most 100000 characters (EventBridge's limit)."
  }
}

variable "create_registry" {
  type        = bool
  description = "Create the registry and one schema per entry of schemas."
  default     = true
  nullable    = false
}

variable "create_discoverer" {
  type        = bool
  description = "Turn on schema discovery for the bus (billed per ingested event; impossible on a bus with a customer-managed key)."
  default     = false
  nullable    = false
}
