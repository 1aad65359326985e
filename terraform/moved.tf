# Before [failover] the root called the regional modules itself; they now sit in module.primary
# (modules/region_stack). These blocks move an existing deployment's state there: `terraform plan` shows
# "has moved to", and nothing is replaced (README, "Moving from [replication]").

moved {
  from = module.messaging
  to   = module.primary.module.messaging
}

moved {
  from = module.event_bus
  to   = module.primary.module.event_bus
}

moved {
  from = module.processors
  to   = module.primary.module.processors[0]
}

moved {
  from = module.event_store
  to   = module.primary.module.event_store
}

moved {
  from = module.routing
  to   = module.primary.module.routing
}

moved {
  from = module.monitoring
  to   = module.primary.module.monitoring[0]
}

moved {
  from = module.schema_registry
  to   = module.primary.module.schema_registry
}

moved {
  from = module.workflows
  to   = module.primary.module.workflows
}

moved {
  from = module.forwarding
  to   = module.primary.module.forwarding
}

# module.primary's event_archive is now s3_archive: modules/region_stack/moved.tf continues this chain.
moved {
  from = module.event_archive
  to   = module.primary.module.event_archive
}

# [replication]'s forward-only replica (module replication, removed): its bus, archive, key and DLQ in the
# replica region leave Terraform's state but stay in AWS, so the archived events outlive the change; delete
# them by hand once nothing needs them (README, "Moving from [replication]"). The replication rule, its
# target and role on the primary bus are not listed: the plan destroys them, so nothing copies events to
# the old replica any more.
removed {
  from = module.replication.aws_cloudwatch_event_bus.this

  lifecycle {
    destroy = false
  }
}

removed {
  from = module.replication.aws_cloudwatch_event_archive.this

  lifecycle {
    destroy = false
  }
}

removed {
  from = module.replication.aws_kms_key.this

  lifecycle {
    destroy = false
  }
}

removed {
  from = module.replication.aws_kms_alias.this

  lifecycle {
    destroy = false
  }
}

removed {
  from = module.replication.aws_sqs_queue.dlq

  lifecycle {
    destroy = false
  }
}

removed {
  from = module.replication.aws_sqs_queue_policy.dlq

  lifecycle {
    destroy = false
  }
}
