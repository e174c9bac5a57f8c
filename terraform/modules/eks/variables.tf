variable "cluster_name" {
  description = "Name of the EKS cluster."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must start with a letter and hold only letters, digits and dashes (at most 100)."
  }
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version (minor)."
  type        = string
  default     = "1.32"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.32."
  }
}

variable "subnet_ids" {
  description = "Private subnet IDs for the control-plane ENIs and the nodes (two AZs at least)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "EKS needs subnets in at least two availability zones."
  }
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint; empty disables public access entirely. Never 0.0.0.0/0."
  type        = list(string)

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrnetmask(c)) && c != "0.0.0.0/0"])
    error_message = "public_access_cidrs must be valid IPv4 CIDRs and must not contain 0.0.0.0/0."
  }
}

variable "secrets_kms_key_arn" {
  description = "ARN of the KMS key that envelope-encrypts Kubernetes secrets (kept by the permanent env)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.secrets_kms_key_arn))
    error_message = "secrets_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "log_retention_days" {
  description = "Retention of the control-plane log group in days (a value CloudWatch accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts."
  }
}

variable "node_instance_types" {
  description = "Instance types of the SPOT node group; several of the same size spread the spot risk."
  type        = list(string)
  default     = ["t3.large", "t3a.large", "t2.large"]

  validation {
    condition     = length(var.node_instance_types) >= 1 && alltrue([for t in var.node_instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t))])
    error_message = "node_instance_types must list at least one instance type such as t3.large."
  }
}

variable "node_capacity_type" {
  description = "Capacity type of the managed node group."
  type        = string
  default     = "SPOT"

  validation {
    condition     = contains(["SPOT", "ON_DEMAND"], var.node_capacity_type)
    error_message = "node_capacity_type must be SPOT or ON_DEMAND."
  }
}

variable "node_scaling" {
  description = "Node group size: min, desired and max node counts."
  type = object({
    min     = number
    desired = number
    max     = number
  })
  default = { min = 1, desired = 2, max = 3 }

  validation {
    condition     = var.node_scaling.min >= 0 && var.node_scaling.min <= var.node_scaling.desired && var.node_scaling.desired <= var.node_scaling.max && var.node_scaling.max >= 1
    error_message = "node_scaling must satisfy 0 <= min <= desired <= max and max >= 1."
  }
}

variable "node_disk_size_gib" {
  description = "Size of each node's encrypted gp3 root volume in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.node_disk_size_gib >= 20 && var.node_disk_size_gib <= 200
    error_message = "node_disk_size_gib must be between 20 and 200."
  }
}

variable "addon_versions" {
  description = "Pinned EKS add-on versions (aws eks describe-addon-versions --kubernetes-version 1.32)."
  type        = map(string)
  default = {
    "vpc-cni"                = "v1.19.2-eksbuild.1"
    "coredns"                = "v1.11.4-eksbuild.2"
    "kube-proxy"             = "v1.32.0-eksbuild.2"
    "eks-pod-identity-agent" = "v1.3.4-eksbuild.1"
    "metrics-server"         = "v0.7.2-eksbuild.2"
  }

  validation {
    condition     = length(setsubtract(["vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "metrics-server"], keys(var.addon_versions))) == 0
    error_message = "addon_versions must pin vpc-cni, coredns, kube-proxy, eks-pod-identity-agent and metrics-server."
  }
}

variable "admin_principal_arns" {
  description = "IAM principals (roles or users) given cluster-admin through EKS access entries."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.admin_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", a))])
    error_message = "admin_principal_arns must be IAM role or user ARNs."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
