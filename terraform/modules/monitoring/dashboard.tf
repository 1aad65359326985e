# Dashboard layout: one full-width row per concern (bus, rules, functions, queues).

locals {
  widget_defaults = {
    region = local.region
    period = var.alarms.period_seconds
    view   = "timeSeries"
  }

  dashboard_widgets = [
    {
      type   = "metric"
      x      = 0
      y      = 0
      width  = 24
      height = 6
      properties = merge(local.widget_defaults, {
        title = "Bus ${var.event_bus_name}: matched events, p99 delivery latency (ms)"
        stat  = "Sum"
        metrics = [
          ["AWS/Events", "MatchedEvents", "EventBusName", var.event_bus_name],
          ["AWS/Events", "IngestionToInvocationStartLatency", "EventBusName", var.event_bus_name, { stat = "p99", yAxis = "right" }],
        ]
      })
    },
    {
      type   = "metric"
      x      = 0
      y      = 6
      width  = 24
      height = 6
      properties = merge(local.widget_defaults, {
        title = "Rules: invocations and failures"
        stat  = "Sum"
        # One array per metric: PutDashboard rejects a flat list ("metrics has to be an array of array of
        # strings"), which flatten() over per-rule pairs would give.
        metrics = [
          for pair in setproduct(values(var.rule_names), ["Invocations", "FailedInvocations"]) :
          ["AWS/Events", pair[1], "EventBusName", var.event_bus_name, "RuleName", pair[0]]
        ]
      })
    },
    {
      type   = "metric"
      x      = 0
      y      = 12
      width  = 24
      height = 6
      properties = merge(local.widget_defaults, {
        title = "Functions: invocations, errors, throttles"
        stat  = "Sum"
        metrics = [
          for pair in setproduct(values(var.function_names), ["Invocations", "Errors", "Throttles"]) :
          ["AWS/Lambda", pair[1], "FunctionName", pair[0]]
        ]
      })
    },
    {
      type   = "metric"
      x      = 0
      y      = 18
      width  = 24
      height = 6
      properties = merge(local.widget_defaults, {
        title = "Queues: messages waiting"
        stat  = "Maximum"
        metrics = [
          for name in concat([var.batch_queue_name], values(var.dead_letter_queue_names)) :
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name]
        ]
      })
    },
  ]
}
