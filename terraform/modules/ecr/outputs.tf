output "repository_arns" {
  description = "ARN of each repository, by name."
  value       = { for name, repo in aws_ecr_repository.this : name => repo.arn }
}

output "repository_urls" {
  description = "Push/pull URL of each repository, by name."
  value       = { for name, repo in aws_ecr_repository.this : name => repo.repository_url }
}
