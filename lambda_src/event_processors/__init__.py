"""Lambda processors for the e-commerce event backbone.

Entry points (the names Terraform and the local target use):

- ``event_processors.processor.handler``: order, user and payment events from EventBridge.
- ``event_processors.notifier.handler``: high-value order notifications from the SNS topic.
- ``event_processors.analytics.handler``: every event, counted in CloudWatch Embedded Metric Format.
"""
