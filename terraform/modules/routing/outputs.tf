output "rule_arns" {
  description = "Rule ARN per rule name (the routing table's keys)."
  value       = { for key, rule in aws_cloudwatch_event_rule.this : key => rule.arn }
}

output "rule_names" {
  description = "AWS rule name (<name_prefix>-<rule>) per rule key; the RuleName dimension of the AWS/Events metrics."
  value       = { for key, rule in aws_cloudwatch_event_rule.this : key => rule.name }
}

output "rule_arns_by_target" {
  description = "Logical target name -> ARNs of the rules delivering to it (empty list when none); feeds the topic and queue policies."
  value = {
    for logical in local.logical_targets : logical => [
      for rule in local.rules_by_target[logical] : aws_cloudwatch_event_rule.this[rule].arn
    ]
  }
}

output "dead_letter_rule_arns" {
  description = "ARNs of the rules with at least one target dead-lettering into the shared DLQ; feeds the DLQ's policy."
  value       = [for rule in local.dead_letter_rules : aws_cloudwatch_event_rule.this[rule].arn]
}
