"""`tooling smoke`: after a deploy, prove every route of the routing table with one canary event per rule.

plan.py builds the routes ((enabled rule, target) pairs), a canary per rule (canary.py: a publisher sample,
marked so the handlers skip real side effects, made to match the rule's pattern and checked with the engine)
and where each route's arrival is observable; run.py publishes the canaries and waits for the evidence
through the observation seams (probes.py), then reports route -> seen / silent / failed / pending / skipped;
render.py is the table. The CLI (tooling/cli/smoke.py) builds the bus and the sources for the target.
"""
