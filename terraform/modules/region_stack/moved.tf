# The S3/Firehose archive's module was `event_archive`; it is `s3_archive` so that "archive" alone names
# the bus's EventBridge archive (module event_bus). This moves each instance's state (module.primary and
# module.secondary) without replacing anything; the root's older block from `module.event_archive` (before
# [failover]) chains into this one.

moved {
  from = module.event_archive
  to   = module.s3_archive
}
