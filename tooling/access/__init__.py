"""Authorization as AWS decides it, for every hop an event takes through the deployed stack.

evaluator.py holds AWS's policy evaluation logic (kept to what the stack's policies use), collect.py reads the
policies as deployed (rendered JSON, through the AWS APIs), matrix.py builds the hops with their negative
twins and evaluates them. `tooling access` prints the result.
"""
