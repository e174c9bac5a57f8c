# Permanent: what survives the nightly destroy of staging (images, CI trust, the secrets key).

locals {
  name   = "infra-fleet"
  region = var.region

  # Cost allocation tag the cost panel filters on: PORTAL_COST_TAG_KEY=infra-fleet:stack and
  # PORTAL_COST_TAG_VALUE=permanent (activate the key once under Billing > Cost allocation tags).
  cost_tag_key = "infra-fleet:stack"

  tags = {
    (local.cost_tag_key) = "permanent"
    "infra-fleet:repo"   = var.github_repository
    "managed-by"         = "terraform"
  }
}

provider "aws" {
  region = local.region

  default_tags {
    tags = local.tags
  }
}

# Envelope encryption of staging's Kubernetes secrets. Kept here so that a nightly destroy never
# schedules the key for deletion (which would make restored secrets unreadable).
resource "aws_kms_key" "eks_secrets" {
  # checkov:skip=CKV2_AWS_64:no policy given on purpose: AWS's default key policy (the account decides through IAM) is the intended one
  description             = "infra-fleet: envelope encryption of EKS secrets"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "eks_secrets" {
  name          = "alias/${local.name}-eks-secrets"
  target_key_id = aws_kms_key.eks_secrets.key_id
}

module "ecr" {
  source = "../../modules/ecr"

  repository_names = ["${local.name}/portal", "${local.name}/load-harness"]
  keep_images      = 30
}

module "github_oidc" {
  source = "../../modules/github-oidc"

  name                   = local.name
  github_repository      = var.github_repository
  create_oidc_provider   = var.create_oidc_provider
  ecr_repository_arns    = values(module.ecr.repository_arns)
  infra_state_bucket_arn = var.state_bucket_arn
  name_prefix_for_iam    = "${local.name}-staging"
}
