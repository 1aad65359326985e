# Every variable here is written by `tooling tfvars` into .tooling/<env>/terraform.tfvars.json from
# environments/<env>.toml. The validations repeat the checks that matter at plan time, so a hand-edited
# tfvars file fails with a message instead of a half-applied stack.

variable "project" {
  type        = string
  description = "Project slug; the first part of every resource name (<project>-<environment>-<name_suffix>-<thing>)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.project))
    error_message = "project must be 2-20 characters: a lowercase letter, then lowercase letters, digits or '-'."
  }
}

variable "environment" {
  type        = string
  description = "Environment name (dev, prod, ...); the second part of every resource name."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,9}$", var.environment))
    error_message = "environment must be 2-10 characters: a lowercase letter, then lowercase letters, digits or '-'."
  }
}

variable "name_suffix" {
  type        = string
  description = "Six-character suffix the tooling generates once per workspace, so two clones never collide on names."

  validation {
    condition     = can(regex("^[a-z0-9]{6}$", var.name_suffix))
    error_message = "name_suffix must be exactly 6 characters from [a-z0-9]."
  }
}

variable "region" {
  type        = string
  description = "AWS region every resource is created in, e.g. us-east-1."

  validation {
    condition     = can(regex("^[a-z]{2,4}(-[a-z]+)?-[a-z]+-[0-9]{1,2}$", var.region))
    error_message = "region must be an AWS region name such as us-east-1, us-gov-west-1, cn-north-1 or eusc-de-east-1."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource through the provider's default_tags, next to Project, Environment and ManagedBy."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for key in keys(var.tags) : !startswith(lower(key), "aws:")])
    error_message = "tags keys must not start with 'aws:'; AWS reserves that prefix."
  }

  # IAM tag keys are case-insensitive: "project" next to the default "Project" fails every IAM role create.
  validation {
    condition     = length(setintersection([for key in keys(var.tags) : lower(key)], ["project", "environment", "managedby"])) == 0
    error_message = "tags keys must not be Project, Environment or ManagedBy in any letter case; the provider's default_tags set them."
  }
}

variable "lambda_zip_path" {
  type        = string
  description = "Path of the Lambda deployment package built by `tooling package` (build/lambda.zip); every function uses it."

  validation {
    condition     = endswith(var.lambda_zip_path, ".zip")
    error_message = "lambda_zip_path must point to a .zip file."
  }
}

variable "lambda_zip_sha256" {
  type        = string
  description = "Base64-encoded SHA-256 of the zip at lambda_zip_path: a changed package redeploys, an unchanged one never does."

  validation {
    condition     = can(regex("^[A-Za-z0-9+/]{43}=$", var.lambda_zip_sha256))
    error_message = "lambda_zip_sha256 must be the base64 of a SHA-256 digest: 44 characters ending in '=', as filebase64sha256() of the zip returns."
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
  description = "The Lambda functions, keyed processor | notifier | analytics, plus batch-processor while batch_processor.enabled. reserved_concurrency null leaves a function on the account's unreserved pool."
  nullable    = false

  validation {
    condition     = length(setsubtract(keys(var.functions), ["processor", "notifier", "analytics", "batch-processor"])) == 0 && length(setintersection(keys(var.functions), ["processor", "notifier", "analytics"])) == 3
    error_message = "functions must have the keys processor, notifier and analytics, and may have batch-processor (while batch_processor.enabled)."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) : can(regex("^[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)+$", f.handler))
    ])
    error_message = "functions[*].handler must be a dotted Python path such as event_processors.processor.handler."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) : f.memory_mb >= 128 && f.memory_mb <= 10240 && floor(f.memory_mb) == f.memory_mb
    ])
    error_message = "functions[*].memory_mb must be a whole number from 128 to 10240 (Lambda's limits)."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) : f.timeout_seconds >= 1 && f.timeout_seconds <= 900 && floor(f.timeout_seconds) == f.timeout_seconds
    ])
    error_message = "functions[*].timeout_seconds must be a whole number from 1 to 900 (Lambda's limits)."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) : f.reserved_concurrency == null || try(f.reserved_concurrency >= 0 && floor(f.reserved_concurrency) == f.reserved_concurrency, false)
    ])
    error_message = "functions[*].reserved_concurrency must be null or a whole number >= 0."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) : f.maximum_retry_attempts >= 0 && f.maximum_retry_attempts <= 2 && floor(f.maximum_retry_attempts) == f.maximum_retry_attempts
    ])
    error_message = "functions[*].maximum_retry_attempts must be a whole number from 0 to 2 (Lambda's asynchronous retries)."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) : f.maximum_event_age_seconds >= 60 && f.maximum_event_age_seconds <= 21600 && floor(f.maximum_event_age_seconds) == f.maximum_event_age_seconds
    ])
    error_message = "functions[*].maximum_event_age_seconds must be a whole number from 60 to 21600 (Lambda's asynchronous event age)."
  }
}

variable "high_value_threshold" {
  type        = number
  description = "Order total above which the processor marks an order high priority (HIGH_VALUE_THRESHOLD)."

  validation {
    condition     = var.high_value_threshold > 0
    error_message = "high_value_threshold must be greater than 0."
  }
}

variable "webhook_parameter" {
  type        = string
  description = "Optional name of the SSM SecureString parameter holding the notifier's webhook URL (WEBHOOK_PARAMETER); the URL itself is a secret Terraform never reads. null logs alerts instead."
  default     = null

  validation {
    condition     = var.webhook_parameter == null || can(regex("^(/[A-Za-z0-9_.-]+){1,15}$", var.webhook_parameter)) && !can(regex("^/(?i)(aws|ssm)", var.webhook_parameter)) && try(length(var.webhook_parameter), 0) <= 1011
    error_message = "webhook_parameter must be null or an SSM parameter name such as /ecommerce/dev/webhook-url (a leading '/', up to 15 levels of letters, digits, '.', '_', '-'; not /aws or /ssm), never the URL."
  }
}

variable "notification_email" {
  type        = string
  description = "Optional email subscribed to the notifications topic (AWS mails a confirmation link); null subscribes nobody."
  default     = null

  validation {
    condition     = var.notification_email == null || can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", var.notification_email))
    error_message = "notification_email must be null or an email address such as ops@example.com."
  }
}

variable "alarm_email" {
  type        = string
  description = "Optional email subscribed to the operations topic every alarm notifies (AWS mails a confirmation link); null subscribes nobody."
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", var.alarm_email))
    error_message = "alarm_email must be null or an email address such as oncall@example.com."
  }
}

variable "archive_retention_days" {
  type        = number
  description = "Days the bus archive keeps events for replay; 0 keeps them forever (EventBridge's meaning of 0)."

  validation {
    condition     = var.archive_retention_days >= 0 && var.archive_retention_days <= 3650 && floor(var.archive_retention_days) == var.archive_retention_days
    error_message = "archive_retention_days must be a whole number from 0 (forever) to 3650."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the Lambda log groups, in days."

  validation {
    condition = contains([
      1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
    ], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
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
  description = "Alarm period and thresholds: an alarm fires when a metric reaches its threshold within evaluation_periods periods."
  nullable    = false

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarms.period_seconds)
    error_message = "alarms.period_seconds must be one of 60, 300, 900, 3600."
  }

  validation {
    condition     = var.alarms.evaluation_periods >= 1 && var.alarms.evaluation_periods <= 24 && floor(var.alarms.evaluation_periods) == var.alarms.evaluation_periods
    error_message = "alarms.evaluation_periods must be a whole number from 1 to 24."
  }

  validation {
    condition = alltrue([
      for t in [var.alarms.lambda_errors, var.alarms.lambda_throttles, var.alarms.failed_invocations, var.alarms.dlq_messages] : t >= 1
    ])
    error_message = "alarms thresholds (lambda_errors, lambda_throttles, failed_invocations, dlq_messages) must each be at least 1."
  }
}

variable "rules" {
  type = map(object({
    description   = optional(string, "")
    enabled       = optional(bool, true)
    state         = optional(string)
    event_pattern = string
    targets = map(object({
      target = string
      input_transformer = optional(object({
        input_paths    = optional(map(string), {})
        input_template = string
      }))
      retry_policy = optional(object({
        maximum_retry_attempts       = optional(number, 185)
        maximum_event_age_in_seconds = optional(number, 86400)
      }), {})
      dead_letter_queue = optional(bool, true)
    }))
  }))
  description = "The routing table from the environment file: rule name -> pattern and targets, each target keyed by its EventBridge target id and naming a logical target (processor | notifier | analytics | notifications | batch-queue | order-workflow | s3-archive)."
  nullable    = false

  validation {
    condition     = length(var.rules) >= 1
    error_message = "rules must hold at least one rule."
  }

  # No '.': each rule name becomes part of a Lambda permission's statement id, which allows only letters,
  # digits, '-' and '_'.
  validation {
    condition     = alltrue([for name in keys(var.rules) : can(regex("^[A-Za-z0-9_-]{1,64}$", name))])
    error_message = "rules keys (rule names) must be 1-64 characters from letters, digits, '_' and '-'."
  }

  validation {
    condition     = alltrue([for r in values(var.rules) : length(r.description) <= 512])
    error_message = "rules[*].description must be at most 512 characters."
  }

  validation {
    condition     = alltrue([for r in values(var.rules) : can(keys(jsondecode(r.event_pattern)))])
    error_message = "rules[*].event_pattern must be a JSON object (the tooling serializes the pattern table)."
  }

  validation {
    condition     = alltrue([for r in values(var.rules) : length(r.targets) >= 1 && length(r.targets) <= 5])
    error_message = "rules[*].targets must hold 1 to 5 targets (EventBridge's limit per rule)."
  }

  validation {
    condition = alltrue(flatten([
      for r in values(var.rules) : [
        for id in keys(r.targets) : can(regex("^[.A-Za-z0-9_-]{1,64}$", id))
      ]
    ]))
    error_message = "rules[*].targets keys (target ids) must be 1-64 characters from letters, digits, '.', '_' and '-'."
  }

  validation {
    condition = alltrue(flatten([
      for r in values(var.rules) : [
        for t in values(r.targets) : contains(["processor", "notifier", "analytics", "notifications", "batch-queue", "order-workflow", "s3-archive"], t.target)
      ]
    ]))
    error_message = "rules[*].targets[*].target must be one of processor, notifier, analytics, notifications, batch-queue, order-workflow, s3-archive."
  }

  validation {
    condition = alltrue(flatten([
      for r in values(var.rules) : [
        for t in values(r.targets) : t.retry_policy.maximum_retry_attempts >= 0 && t.retry_policy.maximum_retry_attempts <= 185
      ]
    ]))
    error_message = "rules[*].targets[*].retry_policy.maximum_retry_attempts must be from 0 to 185."
  }

  validation {
    condition = alltrue(flatten([
      for r in values(var.rules) : [
        for t in values(r.targets) : t.retry_policy.maximum_event_age_in_seconds >= 60 && t.retry_policy.maximum_event_age_in_seconds <= 86400
      ]
    ]))
    error_message = "rules[*].targets[*].retry_policy.maximum_event_age_in_seconds must be from 60 to 86400."
  }
}

variable "endpoints" {
  type        = map(string)
  description = "Provider endpoint overrides (service -> URL) for an AWS-compatible emulator; empty means AWS itself."
  default     = {}
  nullable    = false

  validation {
    condition     = length(setsubtract(keys(var.endpoints), ["cloudwatch", "dynamodb", "events", "firehose", "iam", "kms", "lambda", "logs", "route53", "s3", "schemas", "sfn", "sns", "sqs", "sts"])) == 0
    error_message = "endpoints keys must be among cloudwatch, dynamodb, events, firehose, iam, kms, lambda, logs, route53, s3, schemas, sfn, sns, sqs, sts."
  }

  validation {
    condition     = alltrue([for url in values(var.endpoints) : can(regex("^https?://", url))])
    error_message = "endpoints values must be http(s) URLs such as http://localhost:4566."
  }
}

variable "publisher_account_ids" {
  type        = list(string)
  description = "Other AWS accounts allowed to PutEvents on the bus; empty (the default) creates no bus policy."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.publisher_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "publisher_account_ids must hold 12-digit AWS account ids."
  }
}

variable "schemas" {
  type        = map(string)
  description = "Event schemas for the registry: name (<source>@<DetailTypeWithoutSpaces>) -> JSON Schema draft 4 of the event's detail. The tooling reads them from schemas/."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for name in keys(var.schemas) : can(regex("^[A-Za-z0-9._@-]{1,385}$", name))])
    error_message = "schemas keys must be 1-385 characters from letters, digits, '.', '_', '@' and '-'."
  }

  validation {
    condition     = alltrue([for content in values(var.schemas) : can(keys(jsondecode(content)))])
    error_message = "schemas values must be JSON objects (JSON Schema documents)."
  }
}

variable "schema_registry" {
  type = object({
    registry   = optional(bool, true)
    discoverer = optional(bool, false)
  })
  description = "The [schemas] settings: registry creates the schema registry with the schemas; discoverer turns on schema discovery on the bus (billed per event, and refused by AWS on a bus with a customer-managed key, which this bus has)."
  default     = {}
  nullable    = false

  validation {
    condition     = !var.schema_registry.discoverer
    error_message = "schema_registry.discoverer must be false: AWS does not support schema discovery on an event bus encrypted with a customer-managed key, and this stack's bus always is."
  }
}

variable "failover" {
  type = object({
    secondary_region    = string
    replication         = optional(bool, true)
    secondary_consumers = optional(bool, true)
    health_alarm = optional(object({
      metric             = optional(string, "IngestionToInvocationStartLatency")
      statistic          = optional(string, "Average")
      threshold          = optional(number, 30000)
      period_seconds     = optional(number, 60)
      evaluation_periods = optional(number, 5)
      treat_missing_data = optional(string, "breaching")
    }), {})
  })
  description = "[failover]: an EventBridge global endpoint over this stack's bus and a bus of the same name in secondary_region, with the same stack there (secondary_consumers; false keeps only bus, archive and key), event replication between them (replication) and the health alarm in this region that fails the endpoint over (health_alarm; AWS's template as defaults). null (the default): one region."
  default     = null

  validation {
    condition     = var.failover == null || try(can(regex("^[a-z]{2,4}(-[a-z]+)?-[a-z]+-[0-9]{1,2}$", var.failover.secondary_region)), false)
    error_message = "failover.secondary_region must be an AWS region name such as us-west-2 (and differ from region: the global endpoint checks it)."
  }

  validation {
    condition     = var.failover == null || try(contains(["IngestionToInvocationStartLatency", "FailedInvocations", "ThrottledRules", "InvocationsFailedToBeSentToDlq"], var.failover.health_alarm.metric), false)
    error_message = "failover.health_alarm.metric must be one of IngestionToInvocationStartLatency, FailedInvocations, ThrottledRules, InvocationsFailedToBeSentToDlq (AWS/Events metrics of the primary region)."
  }

  # Route 53 health checks support alarms on Average, Minimum, Maximum, Sum and SampleCount only: an alarm
  # on a percentile (an extended statistic) is refused (Route 53 API reference, AlarmIdentifier).
  validation {
    condition     = var.failover == null || try(contains(["Average", "Maximum", "Sum"], var.failover.health_alarm.statistic), false)
    error_message = "failover.health_alarm.statistic must be one of Average, Maximum, Sum: Route 53 health checks do not support alarms on extended statistics such as p99."
  }

  # A sum of latencies grows with traffic, not with delay: such an alarm would fail over on a busy day.
  validation {
    condition     = var.failover == null || try(!(var.failover.health_alarm.metric == "IngestionToInvocationStartLatency" && var.failover.health_alarm.statistic == "Sum"), false)
    error_message = "failover.health_alarm.statistic must not be Sum for IngestionToInvocationStartLatency; use Average or Maximum."
  }

  validation {
    condition     = var.failover == null || try(var.failover.health_alarm.threshold >= 0, false)
    error_message = "failover.health_alarm.threshold must be 0 or more (milliseconds for the latency metric, a count for the others)."
  }

  # AWS/Events metrics are standard resolution (one data point a minute), and Route 53 supports alarms on
  # standard-resolution metrics only: 10 and 30 s periods (high resolution) would leave the alarm without data.
  validation {
    condition     = var.failover == null || try(var.failover.health_alarm.period_seconds >= 60 && var.failover.health_alarm.period_seconds % 60 == 0, false)
    error_message = "failover.health_alarm.period_seconds must be a multiple of 60: AWS/Events metrics are standard resolution, and Route 53 health checks do not support high-resolution alarms (10 or 30 s)."
  }

  validation {
    condition     = var.failover == null || try(var.failover.health_alarm.evaluation_periods >= 1 && var.failover.health_alarm.evaluation_periods <= 1440 && floor(var.failover.health_alarm.evaluation_periods) == var.failover.health_alarm.evaluation_periods, false)
    error_message = "failover.health_alarm.evaluation_periods must be a whole number from 1 to 1440."
  }

  validation {
    condition     = var.failover == null || try(var.failover.health_alarm.period_seconds * var.failover.health_alarm.evaluation_periods <= 86400, false)
    error_message = "failover.health_alarm: period_seconds x evaluation_periods must be at most 86400 (CloudWatch evaluates at most one day)."
  }

  validation {
    condition     = var.failover == null || try(contains(["breaching", "notBreaching", "ignore", "missing"], var.failover.health_alarm.treat_missing_data), false)
    error_message = "failover.health_alarm.treat_missing_data must be one of breaching, notBreaching, ignore, missing."
  }
}

variable "forwarding" {
  type = object({
    enabled      = optional(bool, true)
    sources      = optional(list(string), ["aws.ec2", "aws.health"])
    detail_types = optional(list(string), [])
  })
  description = "The [forwarding] settings: a rule on the account's default bus forwards these AWS service events (sources, narrowed to detail_types when not empty) to the custom bus, where the routing table routes them. enabled = false creates nothing."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for s in var.forwarding.sources : can(regex("^aws\\.[a-z0-9][a-z0-9.-]*$", s))])
    error_message = "forwarding.sources must be AWS service sources such as aws.ec2 or aws.health."
  }

  validation {
    condition     = !var.forwarding.enabled || length(var.forwarding.sources) >= 1
    error_message = "forwarding.sources must list at least one source while forwarding.enabled is true."
  }

  validation {
    condition     = alltrue([for t in var.forwarding.detail_types : length(t) >= 1 && length(t) <= 128])
    error_message = "forwarding.detail_types entries must be 1-128 characters."
  }
}

variable "create_s3_archive" {
  type        = bool
  description = "Whether the S3 event archive (Firehose stream and bucket, primary region) exists. tooling/config.py decides it (Config.creates_s3_archive: [s3_archive] enabled and a rule targets s3-archive) and `tooling tfvars` writes it; a rule may target s3-archive only when it is true."
  nullable    = false
}

variable "create_workflow" {
  type        = bool
  description = "Whether the order-fulfilment state machine exists (in each region with consumers). tooling/config.py decides it (Config.creates_workflow: a rule targets order-workflow) and `tooling tfvars` writes it; a rule may target order-workflow only when it is true."
  nullable    = false
}

variable "s3_archive" {
  type = object({
    buffer_size_mb          = optional(number, 64)
    buffer_interval_seconds = optional(number, 300)
    transition_days         = optional(number, 30)
    storage_class           = optional(string, "GLACIER_IR")
    expiration_days         = optional(number)
  })
  description = "[s3_archive] settings: the Firehose stream and S3 bucket every event sent to the s3-archive target is written to (gzip JSON lines under source=/year=/month=/day=/), when create_s3_archive is true."
  default     = {}
  nullable    = false

  validation {
    condition     = var.s3_archive.buffer_size_mb >= 64 && var.s3_archive.buffer_size_mb <= 128
    error_message = "s3_archive.buffer_size_mb must be from 64 to 128: Firehose's minimum with dynamic partitioning (the source= prefix) is 64."
  }

  validation {
    condition     = var.s3_archive.buffer_interval_seconds >= 0 && var.s3_archive.buffer_interval_seconds <= 900
    error_message = "s3_archive.buffer_interval_seconds must be from 0 to 900."
  }

  validation {
    condition     = var.s3_archive.expiration_days == null || try(var.s3_archive.expiration_days > var.s3_archive.transition_days, false)
    error_message = "s3_archive.expiration_days must be null or greater than transition_days."
  }
}

variable "batch_processor" {
  type = object({
    enabled                 = optional(bool, true)
    batch_size              = optional(number, 10)
    batching_window_seconds = optional(number, 5)
    # Lambda's FilterCriteria pattern (JSON text) for the event source mapping; null filters nothing.
    filter_pattern = optional(string)
  })
  description = "The [batch_processor] settings: the batch queue's consumer (functions[\"batch-processor\"] behind an SQS event source mapping), batch size, batching window and the mapping's filter pattern."
  default     = {}
  nullable    = false

  validation {
    condition     = var.batch_processor.batch_size >= 1 && var.batch_processor.batch_size <= 10000 && floor(var.batch_processor.batch_size) == var.batch_processor.batch_size
    error_message = "batch_processor.batch_size must be a whole number from 1 to 10000 (Lambda's limit for SQS)."
  }

  validation {
    condition     = var.batch_processor.batching_window_seconds >= 0 && var.batch_processor.batching_window_seconds <= 300 && floor(var.batch_processor.batching_window_seconds) == var.batch_processor.batching_window_seconds
    error_message = "batch_processor.batching_window_seconds must be a whole number from 0 to 300."
  }

  validation {
    condition     = var.batch_processor.filter_pattern == null || can(keys(jsondecode(coalesce(var.batch_processor.filter_pattern, "{}"))))
    error_message = "batch_processor.filter_pattern must be a JSON object (the tooling serializes [batch_processor] filter_pattern)."
  }

  validation {
    condition     = var.batch_processor.batch_size <= 10 || var.batch_processor.batching_window_seconds >= 1
    error_message = "batch_processor.batching_window_seconds must be at least 1 when batch_size is over 10 (Lambda's rule for SQS)."
  }
}

variable "event_store" {
  type = object({
    enabled                = optional(bool, true)
    ttl_days               = optional(number, 90)
    point_in_time_recovery = optional(bool, true)
  })
  description = "The [event_store] settings: the DynamoDB table the batch processor writes every event to (needs batch_processor.enabled), its TTL in days and point-in-time recovery."
  default     = {}
  nullable    = false

  validation {
    condition     = var.event_store.ttl_days >= 1 && var.event_store.ttl_days <= 3650 && floor(var.event_store.ttl_days) == var.event_store.ttl_days
    error_message = "event_store.ttl_days must be a whole number from 1 to 3650."
  }
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of every IAM role of the stack (terraform/bootstrap's github-<project>-<environment>-boundary, which the CI deploy role requires); null for none."
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN such as arn:aws:iam::123456789012:policy/github-ecommerce-dev-boundary, or null."
  }
}
