# The NLB gets a new name whenever the nightly destroy and the morning rebuild recreate it,
# so the records follow ingress_hostname and are skipped while it is unknown.
resource "cloudflare_record" "ingress" {
  for_each = var.ingress_hostname == "" ? {} : var.hostnames

  zone_id = var.zone_id
  name    = each.value
  type    = "CNAME"
  content = var.ingress_hostname
  proxied = var.proxied
  ttl     = var.proxied ? 1 : var.ttl
  comment = "infra-fleet ${each.key}: managed by terraform/envs/staging"
}
