output "ecr_repository_urls" {
  description = "Push/pull URLs of the image repositories, by name."
  value       = module.ecr.repository_urls
}

output "eks_secrets_kms_key_arn" {
  description = "KMS key that envelope-encrypts staging's Kubernetes secrets."
  value       = aws_kms_key.eks_secrets.arn
}

output "eks_secrets_kms_alias" {
  description = "Alias staging looks the key up by."
  value       = aws_kms_alias.eks_secrets.name
}

output "github_images_role_arn" {
  description = "Set as repository variable AWS_IMAGES_ROLE_ARN."
  value       = module.github_oidc.images_role_arn
}

output "github_plan_role_arn" {
  description = "Set as repository variable AWS_PLAN_ROLE_ARN."
  value       = module.github_oidc.plan_role_arn
}

output "github_apply_role_arn" {
  description = "Set as repository variable AWS_APPLY_ROLE_ARN."
  value       = module.github_oidc.apply_role_arn
}
