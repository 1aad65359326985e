# Who may assume the roles: a job of this repository's deploy workflow, or for the plan role its scheduled
# drift workflow (the token's job_workflow_ref names the file and the ref; AWS STS evaluates the GitHub
# claims as condition keys since 2026-01), and for the deploy role only a job running in this environment
# (GitHub's environment protection: required reviewers, deployment branch main). A workflow a pull request
# adds, or another branch, gets no credentials.

data "aws_iam_policy_document" "deploy_trust" {
  statement {
    sid     = "DeployJobsOfThisEnvironment"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_host}:sub"
      values   = ["repo:${var.github_repository}:environment:${var.environment}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_host}:job_workflow_ref"
      values   = ["${var.github_repository}/${var.workflow_file}@refs/heads/${var.deploy_branch}"]
    }
  }
}

data "aws_iam_policy_document" "plan_trust" {
  statement {
    sid     = "PlanJobsOfTheDeployBranch"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_host}:sub"
      values   = ["repo:${var.github_repository}:ref:refs/heads/${var.deploy_branch}"]
    }

    # The deploy workflow's plan jobs, and the scheduled drift check (tooling drift: a plan, never applied).
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_host}:job_workflow_ref"
      values = [
        "${var.github_repository}/${var.workflow_file}@refs/heads/${var.deploy_branch}",
        "${var.github_repository}/${var.drift_workflow_file}@refs/heads/${var.deploy_branch}",
      ]
    }
  }

  # A pull request's job runs the workflow file of the pull request's merge commit; the role it gets reads
  # one environment's stack and state and changes nothing.
  dynamic "statement" {
    for_each = var.pull_requests ? [1] : []

    content {
      sid     = "PlanJobsOfPullRequests"
      actions = ["sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = [var.oidc_provider_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "${var.oidc_host}:aud"
        values   = ["sts.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "${var.oidc_host}:sub"
        values   = ["repo:${var.github_repository}:pull_request"]
      }

      condition {
        test     = "StringLike"
        variable = "${var.oidc_host}:job_workflow_ref"
        values   = ["${var.github_repository}/${var.workflow_file}@refs/pull/*/merge"]
      }
    }
  }
}
