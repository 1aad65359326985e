"""What the e2e run holds the deployment to: each delivery authorized as AWS would (authorization.py), the
calls of each recorded step (recorder.py, api_requests.py) held to the CI roles (role_calls.py), and what the
server holds after each step (inspection.py). They import `tooling`, never the emulator or the harness.
"""
