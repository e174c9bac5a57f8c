variable "name" {
  description = "Name prefix of the roles (the stack name, e.g. infra-fleet-staging)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 letters, digits or dashes, starting with a letter."
  }
}

variable "cluster_name" {
  description = "EKS cluster whose Pod Identity agent hands out the roles."
  type        = string
}

variable "portal_namespace" {
  description = "Namespace of the portal's ServiceAccount."
  type        = string
  default     = "portal"
}

variable "portal_service_account" {
  description = "Name of the portal's ServiceAccount."
  type        = string
  default     = "portal"
}

variable "flux_namespace" {
  description = "Namespace of Flux's image-reflector-controller."
  type        = string
  default     = "flux-system"
}

variable "flux_service_account" {
  description = "ServiceAccount of Flux's image-reflector-controller (it lists tags in ECR)."
  type        = string
  default     = "image-reflector-controller"
}

variable "ecr_repository_arns" {
  description = "ECR repositories Flux image automation may read."
  type        = list(string)

  validation {
    condition     = length(var.ecr_repository_arns) > 0 && alltrue([for a in var.ecr_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/", a))])
    error_message = "ecr_repository_arns must be a non-empty list of ECR repository ARNs."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
