variable "name" {
  description = "Name prefix for every network resource (the stack name, e.g. infra-fleet-staging)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,38}$", var.name))
    error_message = "name must be 3-39 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "cluster_name" {
  description = "EKS cluster name the subnets are tagged for (kubernetes.io/cluster/<name> = shared)."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC; a /16 leaves room for EKS pod IPs from the VPC CNI."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be a valid IPv4 CIDR no smaller than a /20."
  }
}

variable "azs" {
  description = "Exactly two availability zones of the region, e.g. [\"eu-west-1a\", \"eu-west-1b\"]."
  type        = list(string)

  validation {
    condition     = length(var.azs) == 2 && length(distinct(var.azs)) == 2
    error_message = "azs must name two distinct availability zones."
  }
}

variable "nat_gateway_per_az" {
  description = "One NAT gateway per AZ (HA, about USD 33/month more) instead of a single shared one."
  type        = bool
  default     = false
}

variable "flow_logs_enabled" {
  description = "Send VPC flow logs (rejected traffic only) to a CloudWatch log group."
  type        = bool
  default     = false
}

variable "flow_logs_retention_days" {
  description = "Retention of the flow log group in days (a value CloudWatch accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be one of the retention periods CloudWatch Logs accepts."
  }
}

variable "flow_logs_kms_key_arn" {
  description = "KMS key ARN that encrypts the flow log group (null: CloudWatch's own encryption)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource (the env's default tags already cover the provider)."
  type        = map(string)
  default     = {}
}
