"""`tooling routes diff`: what a routing change does to real traffic, before it ships.

Two routing tables (the working tree's environment file, the same file at a git ref, what is deployed, or
two files) are compared over archived events (the S3 event archive, the local target's EventBridge archive,
or JSON-lines files): per rule and per target, the events matched before and after, the ones gained and lost
(with a few example ids and the field that decided), input-transformer output changes, and the targets that
would receive nothing.

    model.py         Routes, RouteRule, RouteTarget: one routing table, from a Config or as deployed
    configs.py       the tables to compare: an environment file, the same file at a git ref (`git show`)
    deployed.py      the seam of the table as deployed (and the bus's own archive), per target:
    aws_deployed.py  ListRules and ListTargetsByRule on AWS; tooling/local/routes_source.py locally
    plan.py          the two tables paired (renames), their distinct patterns, what a set of matches means
    chunks.py        where events come from: files, stdin, S3 archive objects, as chunks of bytes
    scan.py          a chunk through the patterns (the one per-event match call), in a worker process
    prune.py         an event cut to the paths the patterns name (the fallback match call's speed)
    run.py           the chunks over worker processes, a uniform sample, the tallies merged
    explain.py       the field of an example event that decided its gain or loss
    report.py        the report model; render.py its text and Markdown
    sample_events.py seeded archive-shaped events (the committed samples, tests, the benchmark)
"""
