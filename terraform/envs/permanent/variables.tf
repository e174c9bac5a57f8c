variable "region" {
  description = "AWS region of the whole platform."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "github_repository" {
  description = "This repository on GitHub as owner/name; the CI roles trust its workflows only."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "create_oidc_provider" {
  description = "Create GitHub's OIDC provider (false when the account already has one)."
  type        = bool
  default     = true
}

variable "state_bucket_arn" {
  description = "S3 bucket ARN when state is kept in S3 instead of Terraform Cloud (the apply role may then use it)."
  type        = string
  default     = null
}
