output "records" {
  description = "Each managed hostname and the target it points at."
  value       = { for purpose, record in cloudflare_record.ingress : purpose => "${record.hostname} -> ${record.content}" }
}
