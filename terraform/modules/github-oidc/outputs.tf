output "oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider."
  value       = local.provider_arn
}

output "images_role_arn" {
  description = "Role the image workflow assumes (repository variable AWS_IMAGES_ROLE_ARN)."
  value       = aws_iam_role.images.arn
}

output "plan_role_arn" {
  description = "Read-only role pull-request plans assume (repository variable AWS_PLAN_ROLE_ARN)."
  value       = aws_iam_role.plan.arn
}

output "apply_role_arn" {
  description = "Role applies and the nightly destroy assume from main (repository variable AWS_APPLY_ROLE_ARN)."
  value       = aws_iam_role.apply.arn
}
