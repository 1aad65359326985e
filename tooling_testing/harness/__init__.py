"""The AWS path without an account: real Terraform and the real hashicorp/aws provider against moto.

`tooling e2e` (and `make e2e`) starts a patched moto server (tooling_testing/emulator, with the gaps it
covers in moto_patches.py and schemas_api.py), makes the provider installable offline (provider.py), loads
the HCL with whichever provider major is installed (compat.py), and drives the project's own commands
through apply, re-plan, outputs, monitor, publish and destroy (run.py).
"""
