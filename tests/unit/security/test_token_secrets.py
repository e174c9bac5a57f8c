import hashlib

from portal.security.token_secrets import (
    PREFIX,
    bearer_token,
    hash_secret,
    mint_secret,
    parse_token,
    secret_matches,
)


def test_a_minted_token_parses_back_to_its_lookup_id_and_secret() -> None:
    minted = mint_secret()
    parsed = parse_token(minted.token)
    assert parsed is not None
    assert parsed.lookup_id == minted.lookup_id
    assert minted.token == f"{PREFIX}{minted.lookup_id}_{parsed.secret}"
    assert len(parsed.secret) == 43  # token_urlsafe(32)


def test_only_a_salted_sha256_of_the_secret_is_kept() -> None:
    minted = mint_secret()
    parsed = parse_token(minted.token)
    assert parsed is not None
    expected = hashlib.sha256(bytes.fromhex(minted.salt) + parsed.secret.encode()).hexdigest()
    assert minted.secret_hash == expected
    assert parsed.secret not in minted.secret_hash
    assert hash_secret(salt="11" * 16, secret="s") != hash_secret(salt="22" * 16, secret="s")


def test_two_tokens_never_share_salt_lookup_or_secret() -> None:
    first, second = mint_secret(), mint_secret()
    assert first.salt != second.salt
    assert first.lookup_id != second.lookup_id
    assert first.token != second.token


def test_the_secret_must_match_exactly() -> None:
    minted = mint_secret()
    parsed = parse_token(minted.token)
    assert parsed is not None
    assert secret_matches(presented=parsed.secret, salt=minted.salt, secret_hash=minted.secret_hash)
    assert not secret_matches(
        presented=parsed.secret[:-1] + "x", salt=minted.salt, secret_hash=minted.secret_hash
    )
    assert not secret_matches(presented=parsed.secret, salt=None, secret_hash=None)


def test_foreign_or_mangled_tokens_do_not_parse() -> None:
    assert parse_token("ghp_abcdef") is None
    assert parse_token("ifp_") is None
    assert parse_token("ifp_0123456789ab") is None
    assert parse_token("ifp_0123456789ab-secret") is None
    assert parse_token("ifp_XYZ456789abc_secret") is None
    assert parse_token("ifp_0123456789ab_" + "s" * 300) is None


def test_bearer_credentials_are_taken_from_the_bearer_scheme_only() -> None:
    assert bearer_token("Bearer ifp_x") == "ifp_x"
    assert bearer_token("bearer  ifp_x ") == "ifp_x"
    assert bearer_token("Basic dXNlcjpwdw==") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None
