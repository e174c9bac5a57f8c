variable "region" {
  description = "AWS region of the whole platform (the same as the permanent env's)."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "azs" {
  description = "The two availability zones the stack spans."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b"]
}

variable "public_access_cidrs" {
  description = "CIDRs that may reach the EKS API from outside the VPC (operators' and CI egress). No default: say who."
  type        = list(string)
}

variable "admin_principal_arns" {
  description = "IAM roles or users given cluster-admin through access entries (include AWS_APPLY_ROLE_ARN for CI)."
  type        = list(string)
}

variable "nat_gateway_per_az" {
  description = "One NAT gateway per AZ instead of one shared (HA at about USD 33/month more)."
  type        = bool
  default     = false
}

variable "flow_logs_enabled" {
  description = "VPC flow logs of rejected traffic to CloudWatch Logs."
  type        = bool
  default     = false
}

variable "cloudflare_api_token" {
  description = "Cloudflare API token with Zone:DNS:Edit on the zone only (TF_VAR_cloudflare_api_token; never in outputs)."
  type        = string
  sensitive   = true
}

variable "cloudflare_zone_id" {
  description = "Cloudflare zone ID of the domain."
  type        = string
}

variable "portal_hostname" {
  description = "Public name of the portal, e.g. portal.staging.example.com."
  type        = string
}

variable "load_harness_hostname" {
  description = "Public name of the load-harness, e.g. load.staging.example.com."
  type        = string
}

variable "ingress_hostname" {
  description = "Override of the ingress NLB's DNS name; empty: found by ingress_lb_tags (no records while there is none)."
  type        = string
  default     = ""
}

variable "ingress_lb_tags" {
  description = "Tags that identify the ingress-nginx NLB Kubernetes creates (in-tree provider's tag by default)."
  type        = map(string)
  default     = { "kubernetes.io/service-name" = "ingress-nginx/ingress-nginx-controller" }
}
