"""Test machinery, kept out of the product's seams: what proves the product, not what it does.

    emulator/   the patched moto server of the e2e run (`python -m tooling_testing.emulator`): moto's gaps
                filled, the Schemas and global-endpoint stand-ins, health checks, replication, global
                tables, a function runner; server.py starts and stops it as a child process
    checks/     what the run holds the deployment to: the recorder of each step's calls, the authorization
                of every delivery, the CI roles' calls, the inspection of what the server holds
    harness/    what `tooling e2e` runs: apply, re-plan, publish, monitor, faults, destroy
    sink.py     a PutEvents endpoint on 127.0.0.1 for the benchmark and the wire tests

It is installed with the project (`tooling e2e` is a user command), but `tooling` never imports it, except
tooling/cli/e2e.py, which loads the harness when that command runs; this package may import `tooling`.
tests/unit/test_import_layers.py holds both rules.
"""
