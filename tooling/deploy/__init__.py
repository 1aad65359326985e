"""Config to infrastructure: tfvars.py (Config -> terraform.tfvars.json), package.py (the deterministic Lambda
zip), terraform.py (the python-terraform driver) and pipeline.py (validate -> package -> tfvars -> init ->
plan -> apply -> outputs, and destroy, on AWS). The local target provisions from the same pipeline's
`Prepared` (tooling/local); tooling/targets.py picks between the two."""
