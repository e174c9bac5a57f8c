output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (EKS nodes and internal load balancers), one per AZ."
  value       = aws_subnet.private[*].id
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (NAT gateways and internet-facing load balancers), one per AZ."
  value       = aws_subnet.public[*].id
}

output "nat_gateway_count" {
  description = "How many NAT gateways the network runs (1, or one per AZ)."
  value       = local.nat_count
}
