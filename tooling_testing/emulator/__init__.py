"""The moto server of the e2e run, patched where moto 5.2.5 differs from what real Terraform needs.

`python -m tooling_testing.emulator` serves it (__main__.py); server.py runs that as a child process.
Deliveries obey tooling_testing/checks/authorization.py, and the recorded steps' calls go through
tooling_testing/checks/recorder.py, both in the server's process.
"""
