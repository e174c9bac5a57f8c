# Staging: the stack the nightly workflow destroys and the morning workflow rebuilds.

locals {
  name   = "infra-fleet-staging"
  region = var.region

  # Cost allocation tag the cost panel filters on: PORTAL_COST_TAG_KEY=infra-fleet:stack and
  # PORTAL_COST_TAG_VALUE=staging (activate the key once under Billing > Cost allocation tags).
  cost_tag_key = "infra-fleet:stack"

  tags = {
    (local.cost_tag_key) = "staging"
    "managed-by"         = "terraform"
  }

  image_repositories = ["infra-fleet/portal", "infra-fleet/load-harness"]
}

provider "aws" {
  region = local.region

  default_tags {
    tags = local.tags
  }
}

provider "cloudflare" {
  api_token = var.cloudflare_api_token
}

# Kept by the permanent env.
data "aws_kms_alias" "eks_secrets" {
  name = "alias/infra-fleet-eks-secrets"
}

data "aws_ecr_repository" "images" {
  for_each = toset(local.image_repositories)

  name = each.value
}

module "network" {
  source = "../../modules/network"

  name               = local.name
  cluster_name       = local.name
  azs                = var.azs
  nat_gateway_per_az = var.nat_gateway_per_az
  flow_logs_enabled  = var.flow_logs_enabled
}

module "eks" {
  source = "../../modules/eks"

  cluster_name         = local.name
  kubernetes_version   = "1.32"
  subnet_ids           = module.network.private_subnet_ids
  public_access_cidrs  = var.public_access_cidrs
  secrets_kms_key_arn  = data.aws_kms_alias.eks_secrets.target_key_arn
  admin_principal_arns = var.admin_principal_arns

  node_capacity_type  = "SPOT"
  node_instance_types = ["t3.large", "t3a.large", "t2.large"]
  node_scaling        = { min = 1, desired = 2, max = 3 }
}

module "portal_iam" {
  source = "../../modules/portal-iam"

  name                = local.name
  cluster_name        = module.eks.cluster_name
  ecr_repository_arns = [for repo in data.aws_ecr_repository.images : repo.arn]
}

# The NLB belongs to Kubernetes (ingress-nginx's Service), not to Terraform: it is found by its
# tags, so every apply (and the morning rebuild, once Flux has created it) points DNS at it.
data "aws_lbs" "ingress" {
  tags = merge(var.ingress_lb_tags, { "kubernetes.io/cluster/${local.name}" = "owned" })
}

data "aws_lb" "ingress" {
  for_each = data.aws_lbs.ingress.arns

  arn = each.value
}

module "dns" {
  source = "../../modules/dns"

  zone_id = var.cloudflare_zone_id
  hostnames = {
    portal         = var.portal_hostname
    "load-harness" = var.load_harness_hostname
  }
  ingress_hostname = var.ingress_hostname != "" ? var.ingress_hostname : try(one(values(data.aws_lb.ingress)).dns_name, "")
}
