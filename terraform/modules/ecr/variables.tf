variable "repository_names" {
  description = "ECR repositories to create, one per image (the portal and the load-harness)."
  type        = list(string)
  default     = ["infra-fleet/portal", "infra-fleet/load-harness"]

  validation {
    condition     = length(var.repository_names) > 0 && alltrue([for n in var.repository_names : can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", n))])
    error_message = "repository_names must be non-empty, lower-case ECR names (letters, digits, . _ - and /)."
  }
}

variable "keep_images" {
  description = "How many of the newest images each repository keeps; older ones expire."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_images >= 1 && var.keep_images <= 1000 && floor(var.keep_images) == var.keep_images
    error_message = "keep_images must be a whole number between 1 and 1000."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (build leftovers) expire."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_expiry_days >= 1
    error_message = "untagged_expiry_days must be at least 1."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN that encrypts the repositories (null: the AWS-managed aws/ecr key)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
