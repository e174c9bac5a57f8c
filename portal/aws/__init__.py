"""AWS adapters (Cost Explorer through aioboto3)."""
