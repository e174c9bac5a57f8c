# EKS Pod Identity: the agent on each node assumes these roles for one ServiceAccount each.
data "aws_iam_policy_document" "pod_identity_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

# The portal ---------------------------------------------------------------------

resource "aws_iam_role" "portal" {
  name               = "${var.name}-portal"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_assume.json

  tags = var.tags
}

# Exactly the calls portal/aws makes (tests/iac/test_portal_policy_matches_code.py reads them
# from the code). Cost Explorer and DescribeSpotPriceHistory have no resource-level permissions,
# so "*" is the only resource IAM accepts for them (Service Authorization Reference).
data "aws_iam_policy_document" "portal" {
  statement {
    sid = "ReadCostsAndSpotPrices"
    actions = [
      "ce:GetCostAndUsage",
      "ce:GetCostForecast",
      "ec2:DescribeSpotPriceHistory",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "portal" {
  name   = "read-costs"
  role   = aws_iam_role.portal.id
  policy = data.aws_iam_policy_document.portal.json
}

resource "aws_eks_pod_identity_association" "portal" {
  cluster_name    = var.cluster_name
  namespace       = var.portal_namespace
  service_account = var.portal_service_account
  role_arn        = aws_iam_role.portal.arn

  tags = var.tags
}

# Flux image automation: read tags of our repositories -------------------------------

resource "aws_iam_role" "flux_image_reader" {
  name               = "${var.name}-flux-image-reader"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "flux_image_reader" {
  statement {
    sid = "EcrLogin"
    # GetAuthorizationToken has no resource-level permissions (Service Authorization Reference).
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "ListOurImages"
    actions = [
      "ecr:BatchGetImage",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:ListImages",
    ]
    resources = var.ecr_repository_arns
  }
}

resource "aws_iam_role_policy" "flux_image_reader" {
  name   = "read-images"
  role   = aws_iam_role.flux_image_reader.id
  policy = data.aws_iam_policy_document.flux_image_reader.json
}

resource "aws_eks_pod_identity_association" "flux_image_reader" {
  cluster_name    = var.cluster_name
  namespace       = var.flux_namespace
  service_account = var.flux_service_account
  role_arn        = aws_iam_role.flux_image_reader.arn

  tags = var.tags
}
