terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  # Terraform Cloud workspace (as in the seed). For local or S3 state instead, see README.md:
  # a gitignored local_override.tf with a backend block replaces this cloud block.
  cloud {
    organization = "infra-fleet"

    workspaces {
      name = "infra-fleet-staging"
    }
  }

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "4.52.0"
    }
  }
}
