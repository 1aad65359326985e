"""Events onto a bus: events.py (event models and seeded samples), schemas.py (the JSON Schemas of `schemas/`),
bus.py (the Bus seam and its boto3 implementation), publisher.py (batching, concurrency and retries above the
seam) and arguments.py (the `JSON|@file` convention of command-line values). The local target implements the
Bus seam in tooling/local; tooling/targets.py picks the bus of a deployment."""
