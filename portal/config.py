"""Portal settings: read once from PORTAL_* environment variables, validated, then frozen.

Nothing here runs at import time; the composition root (`create_app`, the CLI) calls
`load_settings()` and passes the result down.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

from limits import parse as parse_rate_limit
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogFormat = Literal["json", "console"]
LogLevel = Literal["debug", "info", "warning", "error"]
AuthMode = Literal["token", "proxy", "local"]
RoleName = Literal["viewer", "operator", "admin"]
GateName = Literal["confirm-rollout", "confirm-traffic-increase", "confirm-promotion", "rollback"]
GatePolicyName = Literal["open", "closed"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REPO_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_LENGTH = 32
"""Every secret setting is refused at start when shorter: an empty or guessable secret would let
any caller through (`compare_digest(b"", b"")` is true)."""
WATCHABLE_KINDS = (
    "canaries",
    "hpas",
    "canary-events",
    "hpa-events",
    "deployments",
    "nodes",
    "pods",
)


_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_TOKEN_HASH = re.compile(r"sha256:[0-9a-f]{64}")


class SettingsError(ValueError):
    """The environment holds a setting the portal cannot start with."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def default_crds_dir() -> Path | None:
    """`../shared/crds` beside the repository, when it exists."""
    candidate = REPO_ROOT.parent / "shared" / "crds"
    return candidate if candidate.is_dir() else None


class Settings(BaseSettings):
    """Every setting of the portal; each maps to the variable `PORTAL_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", frozen=True, extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/portal.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    database_echo: bool = Field(default=False, description="Log every SQL statement.")
    database_pool_size: int = Field(
        default=10,
        ge=1,
        le=200,
        description="PostgreSQL connections each replica keeps open (SQLAlchemy's pool_size).",
    )
    database_max_overflow: int = Field(
        default=20,
        ge=0,
        le=500,
        description="Connections a replica may open beyond the pool under load, closed again "
        "when returned. Per replica: pool size + overflow must fit PostgreSQL's "
        "max_connections with every replica counted.",
    )
    database_pool_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="How long a request waits for a free connection before it is answered "
        "503 (pool exhausted); shorter than a Flagger webhook's 10 s timeout, so an overloaded "
        "replica fails fast instead of working for callers that have given up.",
    )
    host: str = Field(default="127.0.0.1", description="Address `portal serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `portal serve` binds to.")
    log_level: LogLevel = Field(default="info", description="Lowest log level written.")
    log_format: LogFormat = Field(
        default="json", description="json for machines, console for people."
    )
    kubeconfig: Path | None = Field(
        default=None, description="Kubeconfig file; unset means in-cluster ServiceAccount config."
    )
    kube_contexts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated kubeconfig contexts to watch, each a named cluster "
        "(default: the current context).",
    )
    kube_namespaces: dict[str, list[str]] = Field(
        default_factory=dict,
        description='JSON: namespaces the portal may see per cluster, e.g. {"prod": ["shop"]}; '
        '"*" applies to every cluster; unset means all namespaces.',
    )
    mesh_providers: dict[str, str] = Field(
        default_factory=dict,
        description="JSON: the value of Flagger's -mesh-provider flag per cluster, e.g. "
        '{"prod": "kubernetes"}; "*" applies to every cluster; unset means Flagger\'s default, '
        "istio. Canaries without spec.provider use it: with kubernetes nothing is routed and a "
        "weighted canary runs as Blue/Green with 10 iterations.",
    )
    retry_verdict_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Seconds after a retry before the portal records that Flagger did not start "
        "a new run (default: two analysis intervals of the canary).",
    )
    kube_in_cluster_name: str = Field(
        default="in-cluster", description="Cluster name used with the in-cluster ServiceAccount."
    )
    watch_kinds: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(WATCHABLE_KINDS),
        description="Comma-separated kinds to watch (default all: "
        + ", ".join(WATCHABLE_KINDS)
        + ").",
    )
    watch_timeout_seconds: int = Field(
        default=290, ge=5, le=3600, description="Server-side timeout of each watch call."
    )
    prometheus_url: str | None = Field(
        default=None,
        description="Prometheus base URL; when set, canary pages show the last measured "
        "analysis values (flagger_canary_metric_analysis).",
    )
    flagger_tokens: dict[str, list[str]] = Field(
        default_factory=dict,
        description='JSON: Flagger caller tokens by scope, as SHA-256 hashes, e.g. {"prod": '
        '["sha256:<hex>"], "prod/payments": ["sha256:<hex>", "sha256:<hex>"]}; a scope is a '
        "cluster or cluster/namespace and holds at most two hashes (rotation). Make one with "
        "`portal flagger-token create --cluster prod`. The call's cluster is the token's.",
    )
    flagger_webhook_token: SecretStr | None = Field(
        default=None,
        description="Deprecated: one plain token for a portal watching a single cluster (it "
        "counts as that cluster's token); use PORTAL_FLAGGER_TOKENS.",
    )
    flagger_network_only: bool = Field(
        default=False,
        description="Accept /flagger/* calls without a token, trusting a NetworkPolicy that lets "
        "only Flagger reach them. Without a token or this, every gate call is refused.",
    )
    gate_defaults: dict[GateName, GatePolicyName] = Field(
        default_factory=dict,
        description='JSON: default policy per portal gate, e.g. {"confirm-promotion": "closed"}; '
        "unset gates keep the built-in default (confirm gates open, rollback closed). A hook's "
        "metadata.policy (open|closed) overrides it for one canary.",
    )
    gate_book: bool = Field(
        default=True,
        description="Answer gates from openings and freezes held in memory, reloaded when the "
        "database's gate_state_version moves, and write last calls in batches after answering. "
        "false reads the database on every call and writes before answering (the benchmark's "
        "baseline; slower, and without the fail-safe hold below).",
    )
    gate_state_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        le=8,
        description="Fail-safe: a gate call that cannot read the gate state version within this "
        "time (database down or stalled) holds (403), whatever the gate.",
    )
    gate_call_flush_seconds: float = Field(
        default=0.2,
        gt=0,
        le=3600,
        description="How long noted gate calls gather before one batch writes them (pages and "
        "actions that show last calls write what is pending first).",
    )
    kube_write_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="Timeout of each Kubernetes read or patch an operator action makes.",
    )
    timeline_retention_days: int = Field(
        default=90, ge=1, le=3650, description="Days canary runs, events and HPA samples are kept."
    )
    crds_dir: Path | None = Field(
        default_factory=default_crds_dir,
        description="Directory of the Flagger and Flux CRD YAML files (default ../shared/crds).",
    )
    static_dir: Path = Field(
        default=REPO_ROOT / "static", description="Static assets served at /static."
    )
    templates_dir: Path = Field(default=REPO_ROOT / "templates", description="Jinja2 templates.")
    # DORA (docs/dora.md)
    github_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret of the GitHub webhook (POST /webhooks/github), at least 32 "
        "characters; every delivery's X-Hub-Signature-256 must match it. Unset: every delivery "
        "is refused (401).",
    )
    github_deploy_workflows: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated GitHub Actions workflows (name or path, e.g. "
        ".github/workflows/deploy.yml) whose completed runs are deployments.",
    )
    dora_caught_max_weight: int = Field(
        default=50,
        ge=1,
        le=100,
        description="Percent of routed traffic at or below which a rolled-back canary counts as "
        "a failure caught by the canary rather than one that reached production (Flagger's "
        "documented canaries stop at maxWeight 50).",
    )
    # Identity, roles and web security (docs/security.md)
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated Host header values (host or host:port) the portal answers, "
        "against DNS rebinding; unset means any. Local mode ignores it and answers only "
        "127.0.0.1, localhost and [::1] with PORTAL_PORT.",
    )
    trusted_proxies: Annotated[list[Network], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated CIDRs of the authenticating proxies whose identity and "
        "X-Forwarded-* headers are believed; required in proxy mode.",
    )
    forwarded_proxies: Annotated[list[Network], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated CIDRs of proxies (the ingress controller) whose "
        "X-Forwarded-For is believed for the client's address only, never for identity.",
    )
    auth_mode: AuthMode = Field(
        default="token",
        description="How browsers sign in: token (no browser sign-in, bearer tokens only), "
        "proxy (oauth2-proxy headers from PORTAL_TRUSTED_PROXIES) or local (one local admin, "
        "loopback only). Bearer tokens work in every mode.",
    )
    proxy_user_header: str = Field(
        default="X-Auth-Request-User", description="Header carrying the proxied user name."
    )
    proxy_email_header: str = Field(
        default="X-Auth-Request-Email", description="Header carrying the proxied user's email."
    )
    proxy_groups_header: str = Field(
        default="X-Auth-Request-Groups",
        description="Header carrying the proxied user's groups, comma-separated.",
    )
    role_groups: dict[RoleName, list[str]] = Field(
        default_factory=dict,
        description='JSON: role to groups, e.g. {"admin":["platform-admins"]}; highest wins.',
    )
    anonymous_role: RoleName | None = Field(
        default=None, description="Role of unauthenticated requests; unset means no access."
    )
    read_only: bool = Field(default=False, description="Refuse every write, for everyone.")
    secure_cookies: bool = Field(
        default=False,
        description="Mark cookies Secure and send HSTS (also automatic when the request came "
        "over TLS, or X-Forwarded-Proto: https from a trusted proxy).",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1, description="Largest request body accepted (413 above)."
    )
    max_webhook_body_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1, description="Largest body accepted on /webhooks/github."
    )
    max_requests_in_flight: int = Field(
        default=500,
        ge=1,
        le=100_000,
        description="Requests one replica serves at once (SSE streams, probes and /metrics not "
        "counted); one more is answered 503 with Retry-After: 1 at once, which a Flagger gate "
        "treats as hold.",
    )
    rate_limit_actions: str = Field(
        default="30/minute", description="Canary actions per user (limits notation)."
    )
    rate_limit_tokens: str = Field(
        default="600/minute", description="Requests per API token (limits notation)."
    )
    rate_limit_webhooks: str = Field(
        default="30000/minute",
        description="Requests per source address on /webhooks/* and /flagger/*. One Flagger "
        "calls from one address: 1,000 canaries at 200 gate calls/s, plus their event "
        "webhook calls, stay under 500/s (30,000/minute).",
    )
    denial_audit_limit: str = Field(
        default="10/minute",
        description="Denied attempts itemised in the audit log per caller (identity, else "
        "client address); more are counted into one aggregate audit row per caller.",
    )
    denial_audit_global_limit: str = Field(
        default="300/minute",
        description="Denied attempts itemised per replica in total; more are aggregated.",
    )
    # AWS costs (docs/costs.md)
    aws_region: str | None = Field(
        default=None,
        description="AWS region of the Cost Explorer client (Cost Explorer answers in us-east-1); "
        "unset means no Cost Explorer: the cost page shows only the live burn rate.",
    )
    aws_endpoint_url: str | None = Field(
        default=None,
        description="Endpoint of the Cost Explorer API instead of AWS's (a moto server in tests "
        "and the demo).",
    )
    cost_metric: Literal["UnblendedCost", "AmortizedCost"] = Field(
        default="UnblendedCost",
        description="Cost Explorer metric: AmortizedCost spreads Savings Plans and Reserved "
        "Instances over the period they cover.",
    )
    cost_tag_key: str | None = Field(
        default=None,
        max_length=128,
        description="Cost allocation tag that scopes every Cost Explorer query "
        "(e.g. aws:eks:cluster-name); unset means the whole account.",
    )
    cost_tag_value: str | None = Field(
        default=None, max_length=256, description="Value of PORTAL_COST_TAG_KEY to keep."
    )
    cost_refresh_seconds: int = Field(
        default=21600,
        ge=600,
        le=7 * 86400,
        description="Seconds between Cost Explorer refreshes (3 billed requests, USD 0.03 each "
        "time: USD 3.60 a month at the default).",
    )
    cost_manual_refresh_seconds: int = Field(
        default=600,
        ge=60,
        le=86400,
        description="Least seconds between an admin's manual refresh and the previous refresh.",
    )
    cost_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="Seconds a Cost Explorer request may take before the refresh counts it as "
        "failed (the last snapshot stays, marked stale with the reason).",
    )
    cost_spot_discount: float = Field(
        default=0.65,
        ge=0,
        lt=1,
        description="Spot nodes cost the on-demand price less this fraction in the live burn rate.",
    )
    cost_downtime: dict[str, list[str]] = Field(
        default_factory=dict,
        description='JSON: when each ephemeral cluster is down (UTC), e.g. {"staging": '
        '["Mon-Thu 20:00-08:00", "Fri 20:00-Mon 08:00"]}; the cost page shows the hours and '
        "money the nightly destroy saves, and warns when such a cluster is up in a window.",
    )
    cost_demo: bool = Field(
        default=False,
        description="Label the Cost Explorer figures as demo data (`portal demo` sets it: they "
        "come from a local moto server).",
    )

    # Notifications (docs/notifications.md)
    notify_secret_key: SecretStr | None = Field(
        default=None,
        description="Key that encrypts notification channel URLs and signing secrets in the "
        "database; without it channels can only name environment variables (NOTIFY_*).",
    )
    notify_portal_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The portal's address as readers of a notification reach it (links).",
    )
    notify_group_seconds: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        description="A notice waits this long so the rest of its burst (one release failing and "
        "rolling back) goes out in the same message.",
    )
    notify_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Timeout of each notification delivery."
    )
    notify_max_attempts: int = Field(
        default=10, ge=1, le=100, description="Tries before a notification is marked failed."
    )
    notify_backoff_seconds: float = Field(
        default=2.0,
        gt=0,
        le=3600,
        description="First retry delay; doubles each try (a longer Retry-After wins).",
    )
    notify_backoff_max_seconds: float = Field(
        default=600.0, gt=0, le=86400, description="Longest retry delay from backoff alone."
    )
    notify_channel_rate_limit: str = Field(
        default="20/minute", description="Messages per channel (limits notation); more wait."
    )
    notify_tick_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often the outbox is checked for due messages and changed canaries.",
    )
    notify_scan_seconds: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="How often every canary (stuck) and cluster (stale) is checked.",
    )
    leader_election: bool = Field(
        default=True,
        description=(
            "Elect one replica through a Lease in the first cluster to run the singleton work; "
            "false: this process runs it alone (one replica only)."
        ),
    )
    leader_lease_name: str = Field(
        default="infra-fleet-portal", pattern=_LABEL.pattern, description="The Lease's name."
    )
    leader_lease_namespace: str | None = Field(
        default=None,
        pattern=_LABEL.pattern,
        description="The Lease's namespace (default: the pod's own in a cluster, else default).",
    )
    leader_identity: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="This replica's name in the Lease (default: <hostname>-<pid>).",
    )
    leader_lease_seconds: int = Field(
        default=10,
        ge=2,
        le=300,
        description="Seconds a candidate waits, from the last change it saw, to take the Lease.",
    )
    leader_retry_seconds: float = Field(
        default=2.0, ge=1, le=60, description="Seconds between two renewals or campaigns."
    )
    leader_renew_deadline_seconds: float = Field(
        default=7.0,
        gt=1,
        le=300,
        description="Seconds the leader keeps failing to renew before it stops leading.",
    )

    @field_validator("*")
    @classmethod
    def _secrets_are_long(cls, value: object) -> object:
        """Every `SecretStr` setting, present or future, is at least MIN_SECRET_LENGTH long."""
        if isinstance(value, SecretStr) and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"must be at least {MIN_SECRET_LENGTH} characters "
                f"(got {len(value.get_secret_value())}); generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return value

    @field_validator("flagger_tokens")
    @classmethod
    def _flagger_tokens_are_hashes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: set[str] = set()
        for scope, hashes in value.items():
            cluster, _, namespace = scope.partition("/")
            if not cluster or len(cluster) > 128 or (namespace and not _LABEL.fullmatch(namespace)):
                raise ValueError(f"scope {scope!r} must be <cluster> or <cluster>/<namespace>")
            if not 1 <= len(hashes) <= 2:
                raise ValueError(f"scope {scope!r} takes one or two token hashes (rotation)")
            for digest in hashes:
                if not _TOKEN_HASH.fullmatch(digest):
                    raise ValueError(
                        f"scope {scope!r}: each entry is sha256:<64 hex digits>, never the token "
                        "itself (`portal flagger-token create` prints both)"
                    )
                if digest in seen:
                    raise ValueError(f"the same token hash is listed twice (scope {scope!r})")
                seen.add(digest)
        return value

    @field_validator("flagger_webhook_token")
    @classmethod
    def _plain_token_means_one_cluster(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is not None and len(info.data.get("kube_contexts") or []) > 1:
            raise ValueError(
                "one plain token cannot say which of several clusters a call is for: use "
                "PORTAL_FLAGGER_TOKENS (a token per cluster)"
            )
        return value

    @field_validator("leader_renew_deadline_seconds")
    @classmethod
    def _deadline_between_retry_and_lease(cls, value: float, info: ValidationInfo) -> float:
        """A leader must stop working before another may take over (deadline < lease), and
        have time for more than one retry (client-go: deadline > 1.2 x retry)."""
        lease = info.data.get("leader_lease_seconds")
        retry = info.data.get("leader_retry_seconds")
        if lease is not None and value >= lease:
            raise ValueError(f"must be shorter than PORTAL_LEADER_LEASE_SECONDS ({lease})")
        if retry is not None and value <= 1.2 * retry:
            raise ValueError(f"must be longer than 1.2 x PORTAL_LEADER_RETRY_SECONDS ({retry:g})")
        return value

    @field_validator("cost_tag_value")
    @classmethod
    def _tag_value_needs_key(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not info.data.get("cost_tag_key"):
            raise ValueError("needs PORTAL_COST_TAG_KEY (the tag whose value it is)")
        return value

    @field_validator("kube_contexts", mode="before")
    @classmethod
    def _contexts_from_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("watch_kinds", mode="before")
    @classmethod
    def _kinds_from_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("watch_kinds")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(WATCHABLE_KINDS))
        if unknown:
            known = ", ".join(WATCHABLE_KINDS)
            raise ValueError(f"unknown kinds {', '.join(unknown)}; known: {known}")
        return value

    @field_validator("github_deploy_workflows", mode="before")
    @classmethod
    def _workflows_from_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _hosts_from_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("trusted_proxies", "forwarded_proxies", mode="before")
    @classmethod
    def _proxies_from_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator(
        "rate_limit_actions",
        "rate_limit_tokens",
        "rate_limit_webhooks",
        "denial_audit_limit",
        "denial_audit_global_limit",
        "notify_channel_rate_limit",
    )
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        parse_rate_limit(value)
        return value

    @field_validator("auth_mode")
    @classmethod
    def _auth_mode_is_safe(cls, value: AuthMode, info: ValidationInfo) -> AuthMode:
        host = info.data.get("host")
        if value == "local" and host is not None and not is_loopback(host):
            raise ValueError(
                "local mode needs PORTAL_HOST to be a loopback address "
                f"(got PORTAL_HOST={host!r}); use PORTAL_AUTH_MODE=proxy behind oauth2-proxy"
            )
        if value == "proxy" and not info.data.get("trusted_proxies"):
            raise ValueError("proxy mode needs PORTAL_TRUSTED_PROXIES (the proxies' CIDRs)")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                "(the portal only uses async drivers)"
            )
        return value

    @field_validator("kubeconfig")
    @classmethod
    def _kubeconfig_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {value} does not exist")
        return value


SECRET_FIELDS = frozenset(
    name for name, field in Settings.model_fields.items() if "SecretStr" in str(field.annotation)
)
"""Settings whose given value is never repeated in an error message."""


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def describe_validation_error(error: ValidationError) -> str:
    """One line per bad setting, naming the environment variable and the problem."""
    lines = []
    for item in error.errors():
        name = "PORTAL_" + "_".join(str(part) for part in item["loc"]).upper()
        given = item.get("input")
        secret = item["loc"] and str(item["loc"][0]) in SECRET_FIELDS
        shown = "" if isinstance(given, dict) or secret else f" (got {given!r})"
        lines.append(f"{name}: {item['msg']}{shown}")
    return "invalid portal settings:\n  " + "\n  ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; raise SettingsError with a readable message when it is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from error
