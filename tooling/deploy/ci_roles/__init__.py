"""The CI roles of terraform/bootstrap held to what a deploy does and to nothing more.

render.py renders the roles' documents with real Terraform; authorizations.py turns a recorded API call into
the IAM requests it makes; check.py evaluates those against the deploy and plan roles (tooling/access's
evaluator) and evaluates the known privilege-escalation methods against the deploy role and its boundary.
"""
