"""Watching a deployment: monitor.py (the Snapshot model, the MonitorSource seam and the health verdict),
logs.py and replay.py (their models and LogSource / ReplaySource seams), aws_sources.py (the three seams
on boto3) and render.py (pure rich rendering of snapshots, log events and replays). The local target
implements the same seams in tooling/local; tooling/targets.py picks the sources of a deployment."""
