variable "name" {
  description = "Name prefix of the roles (e.g. infra-fleet)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 letters, digits or dashes, starting with a letter."
  }
}

variable "github_repository" {
  description = "The repository the roles trust, as owner/name (the `repo:` part of the token's sub claim)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "create_oidc_provider" {
  description = "Create the token.actions.githubusercontent.com provider (false if the account already has it)."
  type        = bool
  default     = true
}

variable "ecr_repository_arns" {
  description = "ECR repositories the image role may push to; it can touch no other."
  type        = list(string)

  validation {
    condition     = length(var.ecr_repository_arns) > 0 && alltrue([for a in var.ecr_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/", a))])
    error_message = "ecr_repository_arns must be a non-empty list of ECR repository ARNs."
  }
}

variable "image_push_refs" {
  description = "Git refs allowed to push images (sub claim patterns after `ref:`)."
  type        = list(string)
  default     = ["refs/tags/v*"]
}

variable "infra_branch" {
  description = "The only branch whose workflows may assume the infrastructure apply role."
  type        = string
  default     = "main"
}

variable "infra_state_bucket_arn" {
  description = "S3 bucket of the local-state alternative (null when state lives in Terraform Cloud)."
  type        = string
  default     = null
}

variable "name_prefix_for_iam" {
  description = "IAM names (roles, policies, instance profiles) the apply role may manage: <prefix>*."
  type        = string
  default     = "infra-fleet-staging"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
