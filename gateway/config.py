"""Settings of the gateway, read from the environment (prefix ``GATEWAY_``) and validated at start."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gateway.ensemble import parse_ensemble

# The catalog and templates shipped with the package (gateway/job_specs links to job_specs/).
DEFAULT_JOB_SPECS = Path(__file__).parent / "job_specs"

CommaList = Annotated[list[str], NoDecode]



def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def is_loopback_url(url: str) -> bool:
    """Whether the URL's host is this machine: localhost or a loopback address.

    Parsed as an address, not matched as text: ``127.evil.example`` is not loopback.
    """
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class QuotaLimits(BaseModel):
    """Limits for one user; None: no limit on that resource."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gpus: int | None = Field(None, ge=0)
    cpus: float | None = Field(None, ge=0)
    memory: int | None = Field(None, ge=0)
    deployments: int | None = Field(None, ge=0)
    jobs: int | None = Field(None, ge=0)


class Settings(BaseSettings):
    """Everything an operator can set. Each field is documented; `gateway serve --help-config` lists them."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    # Upstream schedulers
    zk_hosts: str = Field(
        "",
        description="ZooKeeper connection string (host:port,host:port[/chroot] or zk://...). "
        "Empty: use the static *_URL settings.",
    )
    zk_mesos_path: str = Field("/mesos", description="ZooKeeper path where Mesos masters contend.")
    zk_marathon_path: str = Field(
        "/marathon/leader-curator", description="ZooKeeper path of Marathon's leader latch."
    )
    zk_chronos_path: str = Field(
        "/chronos/state/candidate", description="ZooKeeper path of Chronos' leader latch."
    )
    zk_marathon_layout: Literal["curator", "twitter-commons"] = Field(
        "curator",
        description="Marathon's leader election: 'curator' (Marathon 1.5+, latch nodes) or "
        "'twitter-commons' (before 1.5, member_ nodes; the path then defaults to /marathon/leader).",
    )
    zk_session_timeout: float = Field(
        10.0, gt=0, le=600, description="ZooKeeper session timeout of the gateway, in seconds."
    )
    leader_failover_wait: float = Field(
        12.0,
        gt=0,
        description="Seconds a request waits for a new leader when the current one is gone or none "
        "is known. Cover the schedulers' ZooKeeper session timeout (10 s by default): a crashed "
        "leader stays in ZooKeeper until its session expires.",
    )
    marathon_url: str = Field(
        "http://127.0.0.1:8080", description="Marathon base URL, used when ZooKeeper is not configured."
    )
    chronos_url: str = Field(
        "http://127.0.0.1:4400", description="Chronos base URL, used when ZooKeeper is not configured."
    )
    mesos_url: str = Field(
        "http://127.0.0.1:5050", description="Mesos master URL, used when ZooKeeper is not configured."
    )
    marathon_user: str = Field("", description="HTTP Basic user for Marathon (empty: no credentials).")
    marathon_password: SecretStr = Field(SecretStr(""), description="HTTP Basic password for Marathon.")
    chronos_user: str = Field("", description="HTTP Basic user for Chronos (empty: no credentials).")
    chronos_password: SecretStr = Field(SecretStr(""), description="HTTP Basic password for Chronos.")
    marathon_group: str = Field(
        "/gateway",
        description="Marathon group under which deployments are created (a valid Marathon path).",
    )
    marathon_framework: str = Field(
        "marathon", description="Marathon's Mesos framework name (--framework_name), to find "
        "the tasks of a deployment in the Mesos master for its logs."
    )
    upstream_timeout: float = Field(10.0, gt=0, description="Seconds to wait for an upstream answer.")
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024,
        description="Largest request body accepted, in bytes; larger ones get 413 before they are read.",
    )
    read_view_resync: float = Field(
        300.0, gt=0, description="Seconds between full re-reads of Marathon by the read view "
        "(the in-memory copy of the deployments kept current by Marathon's event stream).")
    chronos_cache_ttl: float = Field(
        1.0, ge=0, description="Seconds Chronos' job list and summary are reused by reads "
        "(one refresh in flight at a time); 0: every read asks Chronos.")
    chronos_gpus: bool = Field(
        False, description="Whether the Chronos build has the GPU patch (PR #810) enabled."
    )

    # Publishing
    lb_host: str = Field(
        "127.0.0.1", description="Host name of the marathon-lb load balancer shown in endpoints."
    )
    lb_domain: str = Field(
        "",
        description="When set, each published port also gets a virtual host "
        "<port>-<deployment id>.<domain> (HAPROXY_n_VHOST) and endpoints are reported by name.",
    )
    lb_vhost_scheme: Literal["http", "https"] = Field(
        "http", description="Scheme of virtual-host endpoints (https when marathon-lb has a cert)."
    )

    # Quotas, per user, over running and waiting deployments and jobs (empty: unlimited)
    quota_gpus: int | None = Field(None, ge=0, description="GPUs one user may hold or wait for.")
    quota_cpus: float | None = Field(None, ge=0, description="CPUs one user may hold or wait for.")
    quota_memory: int | None = Field(
        None, ge=0, description="Memory (MiB) one user may hold or wait for."
    )
    quota_deployments: int | None = Field(None, ge=0, description="Deployments one user may have.")
    quota_jobs: int | None = Field(None, ge=0, description="Batch jobs one user may have.")
    quota_groups: dict[str, QuotaLimits] = Field(
        default_factory=dict,
        description='Per-user limits for members of a group, as JSON, e.g. {"vo.example.eu/gpu": '
        '{"gpus": 4}}; a member gets the most generous of their groups (fields left out: the '
        "defaults above).",
    )
    zk_quota_lock_path: str = Field(
        "/gateway/quota-locks",
        description="ZooKeeper path under which replicas take a per-user lock while checking a "
        "quota (used when GATEWAY_ZK_HOSTS is set; otherwise an in-process lock, one replica only).",
    )
    quota_lock_timeout: float = Field(
        10.0, gt=0, description="Seconds to wait for the per-user quota lock before answering 503."
    )

    # Authentication and authorization
    oidc_issuers: CommaList = Field(
        default_factory=list,
        description="Trusted OpenID Connect issuers, comma separated, exactly as in the tokens' iss "
        "(mind IAM's trailing slash). Their discovery documents and keys are fetched from there. "
        "http:// is accepted only for loopback hosts.",
    )
    oidc_audience: str = Field(
        "", description="Audience (aud) every token must name; empty: aud is not checked, and "
        "ID tokens are refused by their shape instead.",
    )
    oidc_algorithms: CommaList = Field(
        default_factory=lambda: ["RS256"],
        description="Accepted JWS algorithms, comma separated (asymmetric only; never taken from "
        "the token).",
    )
    oidc_leeway: int = Field(
        30, ge=0, le=300, description="Seconds of clock skew allowed on exp, nbf and iat."
    )
    oidc_required_scopes: CommaList = Field(
        default_factory=list,
        description="OAuth scopes every token must carry in its scope (or scp) claim, comma "
        "separated; empty: scopes are not checked.",
    )
    groups_claims: CommaList = Field(
        default_factory=lambda: ["groups", "wlcg.groups", "entitlements", "eduperson_entitlement"],
        description="Claims that carry the user's groups (entitlements and eduperson_entitlement "
        "are read as AARC URNs). A token with none of them gets its groups from userinfo.",
    )
    required_groups: CommaList = Field(
        default_factory=list,
        description="Groups allowed to use the gateway, exact names or entitlement URNs; "
        "empty: any valid token.",
    )
    admin_groups: CommaList = Field(
        default_factory=list,
        description="Groups whose members see and act on everyone's deployments and jobs.",
    )

    # Operations
    log_format: Literal["json", "text"] = Field(
        "json", description="Log lines of `gateway serve`: one JSON object per line (for log "
        "collectors), or text for people (`gateway dev` always writes text)."
    )

    # Catalog
    job_specs_dir: Path = Field(
        DEFAULT_JOB_SPECS,
        description="Directory with the module catalog and templates (modules.yaml, "
                    "services.yaml, jobs.yaml); default: the examples shipped with the package.")

    # Web UI (/ui)
    root_path: str = Field(
        "", pattern=r"^(/[A-Za-z0-9._~-]+)*$",
        description="Path prefix under which a proxy publishes the gateway, e.g. /gateway: the web "
        "UI's links and redirects and the API's Location headers start with it. Empty: the "
        "proxy's X-Forwarded-Prefix header, else none.",
    )
    ui_csrf_secret: SecretStr = Field(
        SecretStr(""),
        description="Key of the web forms' CSRF tokens. Empty: a random key per process, which is "
        "fine for one replica; give every replica behind one balancer the same value.",
    )
    ui_signin_url: str = Field(
        "",
        description="Where the web UI sends a user whose token was refused (expired), to sign in "
        "again; behind Apache the mod_auth_openidc logout URL that returns to /ui, e.g. "
        "/oidc/redirect_uri?logout=https%3A%2F%2Fgw.example.org%2Fui%2F. Empty: /ui itself.",
    )
    ui_dev_login: bool = Field(
        False,
        description="Development only (set by `gateway dev`, refused by `gateway serve`): a login "
        "page offering the demo users of the development token issuer.",
    )

    @field_validator("oidc_issuers", "oidc_algorithms", "oidc_required_scopes", "groups_claims",
                     "required_groups", "admin_groups", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split_commas(value)

    @field_validator("zk_hosts")
    @classmethod
    def _zk_connection_string(cls, hosts: str) -> str:
        if hosts.strip():
            parse_ensemble(hosts)
        return hosts.strip()

    @field_validator("zk_mesos_path", "zk_marathon_path", "zk_chronos_path")
    @classmethod
    def _absolute_zk_path(cls, path: str) -> str:
        if not path.startswith("/") or (path != "/" and path.endswith("/")) or "//" in path:
            raise ValueError("must be an absolute ZooKeeper path without a trailing slash")
        return path

    @field_validator("marathon_url", "chronos_url", "mesos_url")
    @classmethod
    def _scheduler_url(cls, url: str) -> str:
        # Without a scheme httpx cannot send anything, and every call would wait out the
        # failover before its 503: refuse at start instead.
        parts = urlsplit(url.strip())
        if url.strip() and (parts.scheme not in ("http", "https") or not parts.hostname
                            or parts.query or parts.fragment):
            raise ValueError(f"{url!r} must be an http:// or https:// base URL (or empty)")
        return url.strip()

    @field_validator("oidc_issuers")
    @classmethod
    def _issuers_use_https(cls, issuers: list[str]) -> list[str]:
        for issuer in issuers:
            parts = urlsplit(issuer)
            if parts.query or parts.fragment or not parts.hostname:
                raise ValueError(f"issuer {issuer!r} must be a URL without query or fragment")
            if parts.scheme == "https" or (parts.scheme == "http" and is_loopback_url(issuer)):
                continue
            raise ValueError(f"issuer {issuer!r} must use https:// (http:// only on loopback)")
        return issuers

    @field_validator("oidc_algorithms")
    @classmethod
    def _asymmetric_algorithms_only(cls, algorithms: list[str]) -> list[str]:
        allowed = {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"}
        bad = [alg for alg in algorithms if alg not in allowed]
        if bad or not algorithms:
            raise ValueError(f"unsupported algorithms {bad}; choose from {sorted(allowed)}")
        return algorithms

    @field_validator("marathon_group")
    @classmethod
    def _absolute_group(cls, group: str) -> str:
        if not group.startswith("/") or group.endswith("/"):
            raise ValueError("must be an absolute Marathon path without a trailing slash, e.g. /gateway")
        return group

    def basic_credentials(self, scheduler: str) -> tuple[str, str] | None:
        """The gateway's own HTTP Basic credentials for ``marathon`` or ``chronos`` (None: no
        user set, or the Mesos master, which takes none)."""
        user = getattr(self, f"{scheduler}_user", "")
        if not user:
            return None
        password: SecretStr = getattr(self, f"{scheduler}_password")
        return user, password.get_secret_value()
