output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "kubeconfig_command" {
  description = "Writes a kubeconfig entry for the cluster."
  value       = "aws eks update-kubeconfig --region ${local.region} --name ${module.eks.cluster_name}"
}

output "portal_role_arn" {
  description = "Role the portal's ServiceAccount gets through Pod Identity."
  value       = module.portal_iam.portal_role_arn
}

output "flux_image_reader_role_arn" {
  description = "Role Flux's image-reflector-controller gets through Pod Identity."
  value       = module.portal_iam.flux_image_reader_role_arn
}

output "portal_cost_tag" {
  description = "PORTAL_COST_TAG_KEY and PORTAL_COST_TAG_VALUE for this stack's cost panel."
  value       = { key = local.cost_tag_key, value = local.tags[local.cost_tag_key] }
}

output "dns_records" {
  description = "Hostnames pointed at the ingress NLB."
  value       = module.dns.records
}
