"""Python tooling for the EventBridge event-driven architecture: config, tfvars, packaging,
Terraform driving, publishing, monitoring and the embedded local target."""

__version__ = "0.1.0"
