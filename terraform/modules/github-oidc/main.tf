locals {
  issuer = "token.actions.githubusercontent.com"
  provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : (
    "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.issuer}"
  )
  iam_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}"
}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.issuer}"
  client_id_list = ["sts.amazonaws.com"]
  # AWS validates GitHub's certificate through its own trusted CAs; the list is kept for older API callers.
  thumbprint_list = [
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
  ]

  tags = var.tags
}

# Image pushes: tags of this repository only, to its ECR repositories only -------

data "aws_iam_policy_document" "images_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "${local.issuer}:sub"
      values   = [for ref in var.image_push_refs : "repo:${var.github_repository}:ref:${ref}"]
    }
  }
}

resource "aws_iam_role" "images" {
  name                 = "${var.name}-ci-images"
  assume_role_policy   = data.aws_iam_policy_document.images_assume.json
  max_session_duration = 3600

  tags = var.tags
}

data "aws_iam_policy_document" "images" {
  statement {
    sid = "EcrLogin"
    # GetAuthorizationToken has no resource-level permissions (Service Authorization Reference).
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushToOurRepositories"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImageScanFindings",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = var.ecr_repository_arns
  }
}

resource "aws_iam_role_policy" "images" {
  name   = "push-images"
  role   = aws_iam_role.images.id
  policy = data.aws_iam_policy_document.images.json
}

# Infrastructure: plan (read-only) on pull requests, apply on main only -----------

data "aws_iam_policy_document" "plan_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = ["repo:${var.github_repository}:pull_request"]
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = "${var.name}-infra-plan"
  assume_role_policy   = data.aws_iam_policy_document.plan_assume.json
  max_session_duration = 3600

  tags = var.tags
}

# Plans only read: the AWS-managed read-only policy (it grants no writes and no secret values).
resource "aws_iam_role_policy_attachment" "plan" {
  role       = aws_iam_role.plan.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "apply_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = ["repo:${var.github_repository}:ref:refs/heads/${var.infra_branch}"]
    }
  }
}

resource "aws_iam_role" "apply" {
  name                 = "${var.name}-infra-apply"
  assume_role_policy   = data.aws_iam_policy_document.apply_assume.json
  max_session_duration = 7200

  tags = var.tags
}

# What the staging env creates and destroys every night. Service-level wildcards are limited to
# the services the env manages; IAM is confined to names under the stack's prefix.
data "aws_iam_policy_document" "apply" {
  # checkov:skip=CKV_AWS_111:creating VPCs, clusters and node groups has no narrower resource ARN before they exist
  # checkov:skip=CKV_AWS_356:same: ec2/eks/logs/kms create calls are not resource-scoped until the resource exists
  # checkov:skip=CKV_AWS_109:IAM writes are confined to role/ and policy/ names under the staging prefix; kms grants are what EKS needs on the secrets key
  # checkov:skip=CKV_AWS_107:ec2:* includes GetPasswordData; the stack runs no Windows instances and the role is assumable from main only
  statement {
    sid = "ManageStackServices"
    actions = [
      "autoscaling:*",
      "ec2:*",
      "eks:*",
      "elasticloadbalancing:*",
      "kms:CreateGrant",
      "kms:DescribeKey",
      "logs:*",
    ]
    resources = ["*"]
  }

  statement {
    sid = "ManageStackIam"
    actions = [
      "iam:AttachRolePolicy",
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:CreateRole",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListPolicyVersions",
      "iam:ListRolePolicies",
      "iam:PassRole",
      "iam:PutRolePolicy",
      "iam:TagPolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
    ]
    resources = [
      "${local.iam_arn}:role/${var.name_prefix_for_iam}*",
      "${local.iam_arn}:policy/${var.name_prefix_for_iam}*",
    ]
  }

  statement {
    sid       = "EksServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.iam_arn}:role/aws-service-role/*"]
  }

  dynamic "statement" {
    for_each = var.infra_state_bucket_arn == null ? [] : [var.infra_state_bucket_arn]

    content {
      sid       = "LocalStateAlternative"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]
      resources = [statement.value, "${statement.value}/*"]
    }
  }
}

resource "aws_iam_policy" "apply" {
  name   = "${var.name_prefix_for_iam}-infra-apply"
  policy = data.aws_iam_policy_document.apply.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "apply" {
  role       = aws_iam_role.apply.name
  policy_arn = aws_iam_policy.apply.arn
}
