output "portal_role_arn" {
  description = "Role the portal's pods receive through EKS Pod Identity."
  value       = aws_iam_role.portal.arn
}

output "flux_image_reader_role_arn" {
  description = "Role Flux's image-reflector-controller receives through EKS Pod Identity."
  value       = aws_iam_role.flux_image_reader.arn
}
