"""Identity, roles and web security: who is asking, what they may do, and the protections every
response carries (CSRF, security headers, body and rate limits, audited denials).

Kept free of imports here so that services can use the pure modules (`roles`, `token_secrets`)
without pulling in the request-level ones.
"""
