"""`tooling cost`: what the configured stack costs a month for a traffic profile, and how near the profile's
peak comes to EventBridge's quotas.

    prices.py     the price files (prices/<region>.json: figures, quotas, sources, as_of), schema-checked
    sample.py     what the publisher's realistic events look like to the bill (sizes, mix, rule matches)
    profile.py    the traffic profile: assumed (--events-per-day) or measured (monitor's sources, a window)
    stack.py      what the environment file deploys per region (functions, queues, tables, alarms, ...)
    estimate.py   the arithmetic: profile x stack x prices -> one line per billed item
    quotas.py     the profile's peak against the region's quotas; rules per bus, targets per rule
    report.py     the report models (`--json` is their dump)
    render.py     the tables `tooling cost` prints

Nothing here talks to AWS or to the local target: a measured profile comes from a TrafficSource
(tooling/observe/traffic.py) that tooling/targets.py picks.
"""
