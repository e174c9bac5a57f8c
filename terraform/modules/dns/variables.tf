variable "zone_id" {
  description = "Cloudflare zone ID of the domain (32 hex characters, from the zone's overview page)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.zone_id))
    error_message = "zone_id must be the 32-character hexadecimal Cloudflare zone ID."
  }
}

variable "hostnames" {
  description = "Fully qualified names pointed at the ingress, by purpose (portal, load-harness)."
  type        = map(string)

  validation {
    condition     = alltrue([for h in values(var.hostnames) : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", h))])
    error_message = "hostnames must be lower-case fully qualified DNS names."
  }
}

variable "ingress_hostname" {
  description = "DNS name of the ingress-nginx NLB (kubectl -n ingress-nginx get svc); empty: no records yet."
  type        = string
  default     = ""

  validation {
    condition     = var.ingress_hostname == "" || can(regex("\\.elb\\.[a-z0-9-]+\\.amazonaws\\.com$", var.ingress_hostname))
    error_message = "ingress_hostname must be an AWS load balancer DNS name (*.elb.REGION.amazonaws.com) or empty."
  }
}

variable "proxied" {
  description = "Proxy the records through Cloudflare (false: plain DNS, TLS ends at the ingress with cert-manager)."
  type        = bool
  default     = false
}

variable "ttl" {
  description = "TTL of the records in seconds when not proxied (short, because the NLB changes with every rebuild)."
  type        = number
  default     = 60

  validation {
    condition     = var.ttl >= 60 && var.ttl <= 86400
    error_message = "ttl must be between 60 and 86400 seconds."
  }
}
