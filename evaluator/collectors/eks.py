"""Amazon EKS collector: discover clusters across profiles and regions with boto3 and describe each one as a snapshot.

Only list/describe calls are made. Sessions come from a factory passed in (no module-level clients); every
client uses adaptive retries so throttling is absorbed by botocore rather than surfacing as errors.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

import boto3
import yaml
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from .. import __version__
from ..errors import AccessDenied, AuthError, CollectorError, EndpointError, InputError
from ..inventory import (
    CloudInventory,
    ClusterInfo,
    CollectionInfo,
    Gap,
    NetworkingInventory,
    NodeGroup,
    NodeInventory,
    Quota,
    Snapshot,
    Subnet,
    explain_unmeasured,
    utc_now,
)
from .eks_maxpods import InstanceNetwork, compute_max_pods, instance_network
from .kube_parse import plain_version

SOURCE = "eks"
DEFAULT_MAX_ATTEMPTS = 10
QUOTAS_URL = "https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html"
MAX_PODS_URL = "https://docs.aws.amazon.com/eks/latest/userguide/choosing-instance-type.html"

# Read-only permissions the collector needs; named in AccessDenied hints.
READ_PERMISSIONS = (
    "eks:ListClusters, eks:DescribeCluster, eks:ListNodegroups, eks:DescribeNodegroup, eks:ListFargateProfiles, "
    "eks:DescribeFargateProfile, eks:ListAddons, eks:DescribeAddon, eks:DescribeClusterVersions, "
    "ec2:DescribeInstanceTypes, ec2:DescribeSubnets, ec2:DescribeRegions, servicequotas:ListServiceQuotas, "
    "servicequotas:ListAWSDefaultServiceQuotas"
)
NO_CREDENTIALS_HINT = (
    "Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run `aws configure` or `aws sso login`, "
    "or pass --profile"
)
EXPIRED_HINT = "Refresh the credentials (aws sso login, or a new session token) and run again"
ENDPOINT_HINT = "Check network access and proxy settings, and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EKS if set"
DENIED_HINT = f"Grant read-only access: {READ_PERMISSIONS}"

# Error codes, by what they mean for the collection (AWS API references; EC2 uses AuthFailure/UnauthorizedOperation).
_EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
_BAD_CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "IncompleteSignature",
    }
)
# With credentials STS accepted, these codes from a regional endpoint mean the region is not enabled (opt-in).
_REGION_DISABLED_CODES = frozenset({"InvalidClientTokenId", "UnrecognizedClientException", "AuthFailure"})
_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException", "Forbidden"}
)
_CREDENTIAL_EXCEPTIONS = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    TokenRetrievalError,
    SSOError,
)
_NETWORK_EXCEPTIONS = (BotoConnectionError, HTTPClientError)


@dataclass(frozen=True)
class QuotaSpec:
    """An EKS quota the collector reads, how to find it in Service Quotas, and its documented default."""

    name: str
    quota_names: tuple[str, ...]  # Service Quotas QuotaName values, matched case-insensitively
    default: int
    code: str | None = None  # QuotaCode where known (L-1194D53C: technical.md section D)


# Defaults: EKS user guide service-quotas page (limits.md section 3.1), checked 2026-11.
EKS_QUOTAS = (
    QuotaSpec("clusters_per_region", ("Clusters",), 100, "L-1194D53C"),
    QuotaSpec("managed_node_groups_per_cluster", ("Managed node groups per cluster",), 30),
    QuotaSpec("nodes_per_managed_node_group", ("Nodes per managed node group",), 450),
    QuotaSpec("fargate_profiles_per_cluster", ("Fargate profiles per cluster",), 10),
)

# Facts only the Kubernetes API (or etcd) can measure; a cloud snapshot marks them so merges can fill them.
_WITH_KUBE = "use --with-kube CONTEXT (or a kube source in the audit config)"
_KUBE_ONLY_GAPS = (
    ("nodes.count", f"count Node objects through the Kubernetes API: {_WITH_KUBE}"),
    ("objects", f"object counts come from the Kubernetes API: {_WITH_KUBE}"),
    ("network_policies.count", f"NetworkPolicies are listed through the Kubernetes API: {_WITH_KUBE}"),
    ("etcd.db_size_bytes", f"EKS does not expose etcd; its size is read from apiserver metrics: {_WITH_KUBE}"),
)


class SessionLike(Protocol):
    """The part of :class:`boto3.session.Session` the collector uses."""

    @property
    def region_name(self) -> str | None:
        """The session's configured region."""
        ...

    def client(self, service_name: str, region_name: str | None = None, config: Config | None = None) -> Any:
        """A low-level client."""
        ...


SessionFactory = Callable[[str | None], SessionLike]


class EksResult(NamedTuple):
    """What :func:`collect_eks` returns: one snapshot per cluster, and fleet-level gaps (regions, profiles)."""

    snapshots: list[Snapshot]
    gaps: list[Gap]


def default_session_factory(profile: str | None) -> boto3.Session:
    """A new boto3 session for ``profile`` (``None``: the default credential chain)."""
    try:
        return boto3.Session(profile_name=profile)
    except ProfileNotFound:
        raise InputError(
            f"--profile {profile}: no such profile in the AWS config files",
            hint="List profiles with `aws configure list-profiles`",
        ) from None


def client_config(concurrency: int = 8) -> Config:
    """The botocore config every client gets: adaptive retries (10 attempts) and a pool sized for the workers.

    An explicit ``Config`` overrides botocore's own reading of ``AWS_MAX_ATTEMPTS`` / ``AWS_RETRY_MODE``, so they
    are read here to keep honouring them.
    """
    raw_attempts = os.environ.get("AWS_MAX_ATTEMPTS", "").strip()
    try:
        attempts = int(raw_attempts) if raw_attempts else DEFAULT_MAX_ATTEMPTS
    except ValueError:
        raise InputError(f"AWS_MAX_ATTEMPTS: expected an integer, got {raw_attempts!r}") from None
    mode = os.environ.get("AWS_RETRY_MODE", "").strip() or "adaptive"
    return Config(
        retries={"mode": mode, "max_attempts": max(1, attempts)},
        max_pool_connections=max(10, concurrency * 2),
        user_agent_extra=f"k8seval/{__version__}",
    )


# --- errors -------------------------------------------------------------------------------------------------


def error_code(exc: ClientError) -> str:
    """The AWS error code of a ClientError ("AccessDeniedException", "404", ...)."""
    return str(
        exc.response.get("Error", {}).get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    )


def describe_error(exc: ClientError) -> str:
    """``Code: message`` on one line; an HTML error page (some emulators) becomes its HTTP status."""
    error = exc.response.get("Error", {})
    code = error_code(exc)
    message = " ".join(str(error.get("Message") or "").split())
    if message.startswith("<"):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = f"HTTP {status}"
    if len(message) > 200:
        message = message[:197] + "..."
    return f"{code}: {message}" if message else code


def translate_error(exc: Exception, what: str) -> CollectorError | None:
    """Map a boto3 exception to the collector error tree, or ``None`` for an ordinary API error.

    ``what`` names the call and place, e.g. "eks:ListClusters in eu-west-1".
    """
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return AuthError(f"No AWS credentials found ({what})", hint=NO_CREDENTIALS_HINT)
    if isinstance(exc, _CREDENTIAL_EXCEPTIONS):
        return AuthError(f"AWS credentials could not be loaded ({what}): {exc}", hint=EXPIRED_HINT)
    if isinstance(exc, _NETWORK_EXCEPTIONS):
        return EndpointError(f"Could not reach AWS ({what}): {exc}", hint=ENDPOINT_HINT)
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in _EXPIRED_CODES:
            return AuthError(f"AWS credentials expired ({what}): {describe_error(exc)}", hint=EXPIRED_HINT)
        if code in _DENIED_CODES or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 403:
            return AccessDenied(f"Access denied ({what}): {describe_error(exc)}", hint=DENIED_HINT)
    return None


def _optional_call(where: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, ClientError | None]:
    """Call ``fn`` for a fact the snapshot can do without: ``(result, None)``, or ``(None, error)`` for an
    ordinary API error the caller records. Lost credentials and an unreachable endpoint raise a
    :class:`CollectorError` instead, since every later call would fail the same way.
    """
    try:
        return fn(*args, **kwargs), None
    except ClientError as exc:
        fatal = translate_error(exc, where)
        if isinstance(fatal, AuthError):
            raise fatal from exc
        return None, exc
    except (*_CREDENTIAL_EXCEPTIONS, *_NETWORK_EXCEPTIONS) as exc:
        raise translate_error(exc, where) or CollectorError(str(exc)) from exc


_local = threading.local()


def _count_request(**_: Any) -> None:
    # botocore "before-send" fires once per HTTP attempt, retries included; counted per worker thread.
    _local.requests = getattr(_local, "requests", 0) + 1


# --- per-account and per-region state ------------------------------------------------------------------------


@dataclass
class _Account:
    profile: str | None
    account_id: str | None
    regions: list[str]
    session: SessionLike
    config: Config
    gaps: list[Gap] = field(default_factory=list)
    # boto3 sessions are not thread-safe, the clients they make are: clients are made under this lock, from one
    # session per account so the service models are loaded once.
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def label(self) -> str:
        return self.account_id or f"profile {self.profile or 'default'}"

    def client(self, service: str, region: str) -> Any:
        with self.lock:
            client = self.session.client(service, region_name=region, config=self.config)
        client.meta.events.register("before-send", _count_request, unique_id="k8seval-request-count")
        return client


class _Region:
    """Clients and caches for one (account, region): instance types, cluster versions and quotas."""

    def __init__(self, account: _Account, region: str) -> None:
        self.account = account
        self.region = region
        self.eks = account.client("eks", region)
        self.cluster_count = 0
        # One lock per cache so a slow call for one does not hold up the others.
        self._clients_lock = threading.Lock()
        self._types_lock = threading.Lock()
        self._versions_lock = threading.Lock()
        self._quotas_lock = threading.Lock()
        self._ec2: Any = None
        self._service_quotas: Any = None
        self._instance_types: dict[str, InstanceNetwork | str] = {}  # a str is the reason it is unknown
        self._versions: dict[str, dict[str, Any] | str] = {}
        self._quotas: tuple[list[Quota], list[str]] | None = None

    @property
    def ec2(self) -> Any:
        """The EC2 client, made on first use (most regions of a fleet have no cluster)."""
        with self._clients_lock:
            if self._ec2 is None:
                self._ec2 = self.account.client("ec2", self.region)
            return self._ec2

    @property
    def service_quotas(self) -> Any:
        """The Service Quotas client, made on first use."""
        with self._clients_lock:
            if self._service_quotas is None:
                self._service_quotas = self.account.client("service-quotas", self.region)
            return self._service_quotas

    def where(self, call: str) -> str:
        return f"{call} in {self.region}, {self.account.label}"

    # instance types ------------------------------------------------------------------------------------------
    def instance_networks(self, types: Iterable[str]) -> dict[str, InstanceNetwork | str]:
        """Network facts per instance type, fetched once per region (DescribeInstanceTypes, 100 types a call)."""
        wanted = sorted(set(types))
        with self._types_lock:
            missing = [t for t in wanted if t not in self._instance_types]
            for start in range(0, len(missing), 100):
                self._fetch_instance_types(missing[start : start + 100])
            return {t: self._instance_types[t] for t in wanted}

    def _fetch_instance_types(self, names: list[str]) -> None:
        def fetch() -> None:
            pages = self.ec2.get_paginator("describe_instance_types").paginate(InstanceTypes=names)
            for page in pages:
                for item in page.get("InstanceTypes", []):
                    self._instance_types[item["InstanceType"]] = instance_network(item)

        _, error = _optional_call(self.where("ec2:DescribeInstanceTypes"), fetch)
        if error is not None:
            if len(names) > 1 and error_code(error).startswith("InvalidInstanceType"):
                for name in names:  # one unknown type fails the whole call: ask one by one
                    self._fetch_instance_types([name])
                return
            for name in names:
                self._instance_types.setdefault(name, f"ec2:DescribeInstanceTypes: {describe_error(error)}")
        for name in names:
            self._instance_types.setdefault(name, "ec2:DescribeInstanceTypes did not return it")

    # cluster versions ----------------------------------------------------------------------------------------
    def cluster_version(self, version: str) -> dict[str, Any] | str:
        """The DescribeClusterVersions entry for ``version`` (support dates), or why it is unknown."""
        with self._versions_lock:
            if version not in self._versions:
                self._versions[version] = self._fetch_version(version)
            return self._versions[version]

    def _fetch_version(self, version: str) -> dict[str, Any] | str:
        response, error = _optional_call(
            self.where("eks:DescribeClusterVersions"),
            self.eks.describe_cluster_versions,
            clusterVersions=[version],
            includeAll=True,
        )
        if error is not None:
            return f"eks:DescribeClusterVersions: {describe_error(error)}"
        for entry in response.get("clusterVersions", []):
            if entry.get("clusterVersion") == version:
                return dict(entry)
        return f"eks:DescribeClusterVersions returned no entry for {version}"

    # quotas --------------------------------------------------------------------------------------------------
    def quotas(self) -> tuple[list[Quota], list[str]]:
        """EKS quotas for this account and region, and notes on where each value came from."""
        with self._quotas_lock:
            if self._quotas is None:
                self._quotas = self._fetch_quotas()
            return self._quotas

    def _list_quotas(self, operation: str, reasons: list[str]) -> list[dict[str, Any]]:
        call = "servicequotas:" + "".join(p.capitalize() for p in operation.split("_")).replace("Aws", "AWS")
        quotas, error = _optional_call(
            self.where(call), _paginate, self.service_quotas, operation, "Quotas", ServiceCode="eks"
        )
        if error is not None:
            reasons.append(f"{call}: {describe_error(error)}")
            return []
        return list(quotas)

    def _fetch_quotas(self) -> tuple[list[Quota], list[str]]:
        reasons: list[str] = []
        # ListServiceQuotas returns applied values only ("if the applied quota value is not available for a
        # quota, the quota is not retrieved"), so defaults come from ListAWSDefaultServiceQuotas (API reference).
        applied = self._list_quotas("list_service_quotas", reasons)
        found = {spec.name: _match_quota(spec, applied) for spec in EKS_QUOTAS}
        defaults: list[dict[str, Any]] = []
        if any(value is None for value in found.values()):
            defaults = self._list_quotas("list_aws_default_service_quotas", reasons)
        quotas: list[Quota] = []
        documented: list[str] = []
        for spec in EKS_QUOTAS:
            hit = found[spec.name]
            if hit is not None:
                quotas.append(Quota(spec.name, hit["Value"], "service-quotas", hit.get("QuotaCode"), QUOTAS_URL))
                continue
            hit = _match_quota(spec, defaults)
            if hit is not None:
                quotas.append(
                    Quota(spec.name, hit["Value"], "service-quotas-default", hit.get("QuotaCode"), QUOTAS_URL)
                )
                continue
            quotas.append(Quota(spec.name, float(spec.default), "documented-default", spec.code, QUOTAS_URL))
            documented.append(spec.name)
        notes = []
        if documented:
            why = "; ".join(reasons) or "not listed by Service Quotas"
            notes.append(
                f"quotas {', '.join(documented)}: documented defaults from {QUOTAS_URL}, "
                f"not this account's values ({why})"
            )
        return quotas, notes


def _match_quota(spec: QuotaSpec, quotas: list[dict[str, Any]]) -> dict[str, Any] | None:
    names = {n.lower() for n in spec.quota_names}
    for quota in quotas:
        if quota.get("Value") is None:
            continue
        if (spec.code and quota.get("QuotaCode") == spec.code) or str(quota.get("QuotaName", "")).lower() in names:
            return quota
    return None


# --- collection --------------------------------------------------------------------------------------------


def collect_eks(
    session_factory: SessionFactory = default_session_factory,
    regions: Sequence[str] = (),
    clusters: Sequence[str] | None = None,
    *,
    profiles: Sequence[str | None] = (None,),
    concurrency: int = 8,
) -> EksResult:
    """Discover EKS clusters over ``profiles`` x ``regions`` and describe each one into a :class:`Snapshot`.

    ``regions`` may contain ``"all"`` (the regions ``ec2:DescribeRegions`` reports as enabled); empty means the
    session's configured region. ``clusters`` keeps only the named clusters. Discovery and per-cluster
    collection run on a pool of ``concurrency`` threads. Partial permissions give partial snapshots with gaps;
    a region that is not enabled becomes a fleet gap. When nothing at all could be read, the most telling
    error is raised: :class:`AuthError`, :class:`EndpointError` or :class:`AccessDenied`.

    Example::

        snapshots, gaps = collect_eks(default_session_factory, ["eu-west-1"], profiles=["prod"])
    """
    if concurrency < 1:
        raise InputError(f"--concurrency: must be at least 1, got {concurrency}")
    config = client_config(concurrency)
    wanted = set(clusters) if clusters else None
    fleet_gaps: list[Gap] = []
    errors: list[CollectorError] = []
    accounts: list[_Account] = []
    for profile in profiles or (None,):
        try:
            accounts.append(_open_account(session_factory, profile, list(regions), config))
        except CollectorError as exc:
            errors.append(exc)
            fleet_gaps.append(Gap(SOURCE, f"profile {profile or 'default'}", str(exc)))
    for account in accounts:
        fleet_gaps.extend(account.gaps)

    snapshots: list[Snapshot] = []
    found: set[str] = set()
    regions_read = 0
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="k8seval-eks") as pool:
        discovery: dict[Future[tuple[_Region | None, list[str], Gap | None]], tuple[_Account, str]] = {
            pool.submit(_discover, account, region, wanted): (account, region)
            for account in accounts
            for region in account.regions
        }
        per_cluster: dict[Future[Snapshot], tuple[_Region, str]] = {}
        for future in as_completed(discovery):
            account, region = discovery[future]
            try:
                ctx, names, gap = future.result()
            except CollectorError as exc:
                errors.append(exc)
                fleet_gaps.append(Gap(SOURCE, f"{account.label}/{region}", str(exc)))
                continue
            if gap is not None:
                fleet_gaps.append(gap)
            if ctx is None:
                continue
            regions_read += 1
            found.update(names)
            for name in names:
                per_cluster[pool.submit(_collect_cluster, ctx, name)] = (ctx, name)
        for cluster_future in as_completed(per_cluster):
            ctx, name = per_cluster[cluster_future]
            try:
                snapshots.append(cluster_future.result())
            except CollectorError as exc:
                errors.append(exc)
                fleet_gaps.append(Gap(SOURCE, f"{ctx.account.label}/{ctx.region}/{name}", str(exc)))

    if wanted:
        for name in sorted(wanted - found):
            fleet_gaps.append(
                Gap(SOURCE, name, f"cluster not found in {', '.join(_all_regions(accounts)) or 'any region'}")
            )
    if not snapshots:
        if errors:
            raise _most_telling(errors)
        if regions_read == 0:
            reasons = "; ".join(f"{g.item}: {g.reason}" for g in fleet_gaps) or "no region to read"
            raise CollectorError(f"No region could be read: {reasons}", hint="Check --region and --profile")
        if wanted:
            raise CollectorError(
                f"EKS cluster {', '.join(sorted(wanted))} not found in {', '.join(_all_regions(accounts))}",
                hint="Check --cluster, --region and --profile",
            )
    snapshots.sort(key=lambda s: (s.cluster.account or "", s.cluster.region or "", s.cluster.name))
    return EksResult(snapshots, fleet_gaps)


def _all_regions(accounts: list[_Account]) -> list[str]:
    return sorted({region for account in accounts for region in account.regions})


def _most_telling(errors: list[CollectorError]) -> CollectorError:
    for kind in (AuthError, EndpointError, AccessDenied):
        for exc in errors:
            if isinstance(exc, kind):
                return exc
    return errors[0]


def _open_account(session_factory: SessionFactory, profile: str | None, regions: list[str], config: Config) -> _Account:
    """Check the credentials once (sts:GetCallerIdentity) and resolve the region list for one profile."""
    session = session_factory(profile)
    home = next((r for r in regions if r != "all"), None) or session.region_name or "us-east-1"
    account = _Account(profile=profile, account_id=None, regions=[], session=session, config=config)
    label = f"profile {profile or 'default'}"
    try:
        identity = session.client("sts", region_name=home, config=config).get_caller_identity()
        account.account_id = identity.get("Account")
    except ClientError as exc:
        code = error_code(exc)
        if code in _BAD_CREDENTIAL_CODES or code in _EXPIRED_CODES:
            raise AuthError(
                f"AWS rejected the credentials of {label} (sts:GetCallerIdentity): {describe_error(exc)}",
                hint=EXPIRED_HINT,
            ) from exc
        # The identity call is only for the account id: anything else (an SCP denying it) is a gap, and the
        # account id is taken from the cluster ARN instead.
        account.gaps.append(Gap(SOURCE, "cluster.account", f"sts:GetCallerIdentity: {describe_error(exc)}"))
    except (*_CREDENTIAL_EXCEPTIONS, *_NETWORK_EXCEPTIONS) as exc:
        raise translate_error(exc, f"sts:GetCallerIdentity, {label}") or CollectorError(str(exc)) from exc

    explicit = [r for r in regions if r != "all"]
    if "all" in regions:
        explicit = sorted(set(explicit) | set(_enabled_regions(session, home, config, account.label)))
    elif not explicit:
        if not session.region_name:
            raise InputError(
                "No AWS region given",
                hint="Pass --region R (repeatable, or `all`) or set AWS_REGION / a profile region",
            )
        explicit = [session.region_name]
    account.regions = list(dict.fromkeys(explicit))
    return account


def _enabled_regions(session: SessionLike, home: str, config: Config, label: str) -> list[str]:
    where = f"ec2:DescribeRegions in {home}, {label}"
    try:
        # AllRegions=False (the default) lists only the regions enabled for the account.
        response = session.client("ec2", region_name=home, config=config).describe_regions(AllRegions=False)
    except ClientError as exc:
        fatal = translate_error(exc, where)
        if fatal is not None:
            raise fatal from exc
        raise CollectorError(
            f"Could not list regions ({where}): {describe_error(exc)}", hint="Pass --region R"
        ) from exc
    except (*_CREDENTIAL_EXCEPTIONS, *_NETWORK_EXCEPTIONS) as exc:
        raise translate_error(exc, where) or CollectorError(str(exc)) from exc
    return [r["RegionName"] for r in response.get("Regions", []) if r.get("OptInStatus") != "not-opted-in"]


def _discover(account: _Account, region: str, wanted: set[str] | None) -> tuple[_Region | None, list[str], Gap | None]:
    """List the clusters of one (account, region). A region that is not enabled is a gap, not an error."""
    ctx = _Region(account, region)
    where = ctx.where("eks:ListClusters")
    try:
        names = [
            name for page in ctx.eks.get_paginator("list_clusters").paginate() for name in page.get("clusters", [])
        ]
    except ClientError as exc:
        if error_code(exc) in _REGION_DISABLED_CODES:
            return None, [], Gap(SOURCE, f"{account.label}/{region}", f"region not enabled: {describe_error(exc)}")
        raise translate_error(exc, where) or CollectorError(
            f"Could not list clusters ({where}): {describe_error(exc)}"
        ) from exc
    except (*_CREDENTIAL_EXCEPTIONS, *_NETWORK_EXCEPTIONS) as exc:
        raise translate_error(exc, where) or CollectorError(str(exc)) from exc
    ctx.cluster_count = len(names)
    return ctx, [n for n in names if wanted is None or n in wanted], None


class _Call:
    """Runs optional API calls for one cluster: an ordinary failure becomes a gap, lost credentials abort."""

    def __init__(self, ctx: _Region, gaps: list[Gap]) -> None:
        self.ctx = ctx
        self.gaps = gaps

    def __call__(self, item: str, call: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        result, error = _optional_call(self.ctx.where(call), fn, *args, **kwargs)
        if error is not None:
            self.gaps.append(Gap(SOURCE, item, f"{call}: {describe_error(error)}"))
        return result


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def _collect_cluster(ctx: _Region, name: str) -> Snapshot:
    """Describe one cluster, its node groups, Fargate profiles, add-ons, subnets and quotas."""
    started = time.monotonic()
    _local.requests = 0
    gaps: list[Gap] = []
    call = _Call(ctx, gaps)
    eks = ctx.eks
    try:
        cluster = eks.describe_cluster(name=name)["cluster"]
    except ClientError as exc:
        where = ctx.where(f"eks:DescribeCluster {name}")
        raise translate_error(exc, where) or CollectorError(
            f"Could not describe ({where}): {describe_error(exc)}"
        ) from exc
    except (*_CREDENTIAL_EXCEPTIONS, *_NETWORK_EXCEPTIONS) as exc:
        raise translate_error(exc, ctx.where("eks:DescribeCluster")) or CollectorError(str(exc)) from exc

    # Add-ons first: the vpc-cni settings decide the max-pods arithmetic of the node groups.
    addons, vpc_cni = _addons(call, eks, name)
    node_groups = _managed_node_groups(call, ctx, name, vpc_cni)
    node_groups += _fargate_profiles(call, eks, name)
    vpc = cluster.get("resourcesVpcConfig") or {}
    cluster_subnets = list(vpc.get("subnetIds") or [])
    subnet_ids = list(dict.fromkeys([*cluster_subnets, *(s for g in node_groups for s in g.locations)]))
    subnets = _subnets(call, ctx.ec2, subnet_ids)

    version = cluster.get("version")
    support_type = (cluster.get("upgradePolicy") or {}).get("supportType")
    support_end, support_extra = _support(gaps, ctx, version, support_type)
    quotas, quota_notes = ctx.quotas()

    knc = cluster.get("kubernetesNetworkConfig") or {}
    service_cidrs = [c for c in (knc.get("serviceIpv4Cidr"), knc.get("serviceIpv6Cidr")) if c]
    ip_family = (
        str(knc["ipFamily"]).lower() if knc.get("ipFamily") else ("ipv4" if knc.get("serviceIpv4Cidr") else None)
    )
    logging_types = sorted(
        {
            t
            for entry in (cluster.get("logging") or {}).get("clusterLogging", [])
            if entry.get("enabled")
            for t in entry.get("types", [])
        }
    )
    extra: dict[str, Any] = {
        "arn": cluster.get("arn"),
        "status": cluster.get("status"),
        "vpc_id": vpc.get("vpcId"),
        "cluster_subnet_ids": cluster_subnets,
        "clusters_in_region": ctx.cluster_count,
        **support_extra,
    }
    access = cluster.get("accessConfig") or {}
    if access.get("authenticationMode"):
        extra["authentication_mode"] = access["authenticationMode"]
    tier = (cluster.get("controlPlaneScalingConfig") or {}).get("tier")
    if tier:
        extra["control_plane_tier"] = tier
    if vpc_cni is not None:
        extra["vpc_cni"] = vpc_cni
    if quota_notes:
        extra["notes"] = list(quota_notes)
    if support_type is None:
        gaps.append(Gap(SOURCE, "cloud.support_type", "eks:DescribeCluster returned no upgradePolicy.supportType"))

    account = ctx.account.account_id or _arn_account(cluster.get("arn"))
    if account is None:
        gaps.append(Gap(SOURCE, "cluster.account", "neither sts:GetCallerIdentity nor the cluster ARN gave it"))
    for item, reason in _KUBE_ONLY_GAPS:
        gaps.append(Gap(SOURCE, item, reason))
    auto_mode = bool((cluster.get("computeConfig") or {}).get("enabled"))
    return explain_unmeasured(
        Snapshot(
            cluster=ClusterInfo(
                name=cluster.get("name", name),
                platform="eks",
                version=version,
                endpoint=cluster.get("endpoint"),
                provider="aws",
                region=ctx.region,
                account=account,
                id=cluster.get("arn"),
                cloud_id=cluster.get("arn"),
            ),
            collected_at=utc_now(),
            nodes=NodeInventory(),
            networking=NetworkingInventory(
                cni="aws-vpc-cni" if "vpc-cni" in addons else None,
                cni_version=plain_version(addons.get("vpc-cni")),
                service_cidrs=service_cidrs,
                ip_family=ip_family,
            ),
            cloud=CloudInventory(
                provider="aws",
                mode="auto-mode" if auto_mode else "standard",
                platform_version=cluster.get("platformVersion"),
                support_type=support_type,
                support_end=support_end,
                endpoint_public=vpc.get("endpointPublicAccess"),
                endpoint_private=vpc.get("endpointPrivateAccess"),
                public_access_cidrs=list(vpc.get("publicAccessCidrs") or []),
                logging=logging_types,
                node_groups=node_groups,
                subnets=subnets,
                addons=addons,
                quotas=list(quotas),
                extra={k: v for k, v in extra.items() if v is not None},
            ),
            gaps=gaps,
            collection=CollectionInfo(
                collectors=[SOURCE],
                tool_version=__version__,
                duration_seconds=round(time.monotonic() - started, 3),
                requests=getattr(_local, "requests", 0),
            ),
        ),
        SOURCE,
        f"not visible through the EKS API: {_WITH_KUBE}",
    )


def _arn_account(arn: str | None) -> str | None:
    # arn:aws:eks:eu-west-1:123456789012:cluster/name
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def _addons(call: _Call, eks: Any, cluster: str) -> tuple[dict[str, str], dict[str, Any] | None]:
    """Add-on versions, and the vpc-cni settings that change pod density (None when not known)."""
    names = call("cloud.addons", "eks:ListAddons", _paginate, eks, "list_addons", "addons", clusterName=cluster)
    if names is None:
        return {}, None
    addons: dict[str, str] = {}
    vpc_cni: dict[str, Any] | None = None
    for addon_name in names:
        described = call(
            f"cloud.addons.{addon_name}",
            f"eks:DescribeAddon {addon_name}",
            eks.describe_addon,
            clusterName=cluster,
            addonName=addon_name,
        )
        if described is None:
            continue
        described = described["addon"]
        addons[addon_name] = described.get("addonVersion") or ""
        if addon_name == "vpc-cni":
            vpc_cni = _vpc_cni_settings(call.gaps, described.get("configurationValues"))
    if "vpc-cni" not in names:
        # The VPC CNI may run self-managed (the aws-node DaemonSet), whose env is only visible in Kubernetes.
        call.gaps.append(
            Gap(
                SOURCE,
                "cloud.extra.vpc_cni",
                "vpc-cni is not an EKS add-on here: its settings live in the aws-node DaemonSet",
            )
        )
    return addons, vpc_cni


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def _vpc_cni_settings(gaps: list[Gap], raw: str | None) -> dict[str, Any] | None:
    """Prefix delegation, custom networking and network policy from the vpc-cni add-on configurationValues.

    The values are JSON or YAML, e.g. ``{"env": {"ENABLE_PREFIX_DELEGATION": "true"}, "enableNetworkPolicy": "true"}``
    (vpc-cni add-on configuration schema; env names from the aws/amazon-vpc-cni-k8s README).
    """
    if not raw:
        return {"prefix_delegation": False, "custom_networking": False, "network_policy": False, "configured": False}
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        gaps.append(Gap(SOURCE, "cloud.extra.vpc_cni", f"vpc-cni configurationValues is not JSON/YAML: {exc}"))
        return None
    if not isinstance(data, dict):
        gaps.append(Gap(SOURCE, "cloud.extra.vpc_cni", "vpc-cni configurationValues is not an object"))
        return None
    env: dict[str, Any] = data["env"] if isinstance(data.get("env"), dict) else {}
    return {
        "prefix_delegation": _truthy(env.get("ENABLE_PREFIX_DELEGATION", False)),
        "custom_networking": _truthy(env.get("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", False)),
        "network_policy": _truthy(data.get("enableNetworkPolicy", False)),
        "configured": True,
    }


_TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


def _managed_node_groups(call: _Call, ctx: _Region, cluster: str, vpc_cni: dict[str, Any] | None) -> list[NodeGroup]:
    eks = ctx.eks
    names = call(
        "cloud.node_groups",
        "eks:ListNodegroups",
        _paginate,
        eks,
        "list_nodegroups",
        "nodegroups",
        clusterName=cluster,
    )
    described = []
    for ng_name in names or []:
        item = call(
            f"cloud.node_groups.{ng_name}",
            f"eks:DescribeNodegroup {ng_name}",
            eks.describe_nodegroup,
            clusterName=cluster,
            nodegroupName=ng_name,
        )
        if item is not None:
            described.append(item["nodegroup"])
    types = {t for ng in described for t in ng.get("instanceTypes") or []}
    networks = ctx.instance_networks(types) if types else {}
    return [_node_group(call.gaps, ng, networks, vpc_cni) for ng in described]


def _node_group(
    gaps: list[Gap], ng: dict[str, Any], networks: dict[str, InstanceNetwork | str], vpc_cni: dict[str, Any] | None
) -> NodeGroup:
    name = ng["nodegroupName"]
    scaling = ng.get("scalingConfig") or {}
    ami = ng.get("amiType")
    extra: dict[str, Any] = {"status": ng.get("status"), "release_version": ng.get("releaseVersion")}
    template = ng.get("launchTemplate")
    if template:
        extra["launch_template"] = {k: template[k] for k in ("id", "name", "version") if template.get(k)}
    max_pods, basis = _node_group_max_pods(
        gaps, name, ng.get("instanceTypes") or [], ami, bool(template), networks, vpc_cni, extra
    )
    return NodeGroup(
        name=name,
        kind="managed",
        instance_types=list(ng.get("instanceTypes") or []),
        capacity_type=ng.get("capacityType"),
        image_type=ami,
        version=ng.get("version"),
        min_size=scaling.get("minSize"),
        max_size=scaling.get("maxSize"),
        desired_size=scaling.get("desiredSize"),
        max_pods_per_node=max_pods,
        max_pods_basis=basis,
        locations=list(ng.get("subnets") or []),
        labels=dict(ng.get("labels") or {}),
        taints=[
            f"{t.get('key')}={t.get('value', '')}:{_TAINT_EFFECTS.get(t.get('effect', ''), t.get('effect'))}"
            for t in ng.get("taints") or []
        ],
        extra={k: v for k, v in extra.items() if v is not None},
    )


def _node_group_max_pods(
    gaps: list[Gap],
    name: str,
    instance_types: list[str],
    ami: str | None,
    has_template: bool,
    networks: dict[str, InstanceNetwork | str],
    vpc_cni: dict[str, Any] | None,
    extra: dict[str, Any],
) -> tuple[int | None, str | None]:
    """Max pods per node of a managed node group from its instance types; the smallest when there are several."""
    item = f"cloud.node_groups.{name}.max_pods_per_node"
    if ami and ami.upper().startswith("WINDOWS"):
        gaps.append(Gap(SOURCE, item, f"{ami}: Windows nodes use a different IP formula; read status.allocatable.pods"))
        return None, None
    if not instance_types:
        where = "its launch template" if has_template else "no instance type"
        gaps.append(Gap(SOURCE, item, f"DescribeNodegroup gives no instance types ({where})"))
        return None, None
    prefix = bool(vpc_cni and vpc_cni.get("prefix_delegation"))
    custom_networking = bool(vpc_cni and vpc_cni.get("custom_networking"))
    # Custom AMIs (amiType CUSTOM) escape the managed-node-group cap; their bootstrap decides (EKS UG
    # choosing-instance-type, "How maxPods is determined").
    managed_cap = (ami or "").upper() != "CUSTOM"
    per_type: dict[str, tuple[int, str]] = {}
    for instance_type in instance_types:
        net = networks.get(instance_type, "not looked up")
        if isinstance(net, str):
            gaps.append(Gap(SOURCE, f"{item}.{instance_type}", net))
            continue
        per_type[instance_type] = compute_max_pods(
            net, prefix_delegation=prefix, custom_networking=custom_networking, managed_cap=managed_cap
        )
    if not per_type:
        return None, None
    smallest_type = min(per_type, key=lambda t: per_type[t][0])
    value, basis = per_type[smallest_type]
    if len(per_type) > 1:
        extra["max_pods_by_instance_type"] = {t: v for t, (v, _) in per_type.items()}
        basis = f"{smallest_type} (smallest of {len(per_type)} types) {basis}"
    if not managed_cap:
        basis += "; custom AMI: no managed node group cap, the AMI's kubelet settings decide"
    if vpc_cni is None:
        basis += "; vpc-cni settings unknown: secondary-IP mode assumed"
    return value, basis


def _fargate_profiles(call: _Call, eks: Any, cluster: str) -> list[NodeGroup]:
    names = call(
        "cloud.node_groups.fargate",
        "eks:ListFargateProfiles",
        _paginate,
        eks,
        "list_fargate_profiles",
        "fargateProfileNames",
        clusterName=cluster,
    )
    groups = []
    for profile in names or []:
        item = call(
            f"cloud.node_groups.{profile}",
            f"eks:DescribeFargateProfile {profile}",
            eks.describe_fargate_profile,
            clusterName=cluster,
            fargateProfileName=profile,
        )
        if item is None:
            continue
        item = item["fargateProfile"]
        selectors = [
            {k: v for k, v in (("namespace", s.get("namespace")), ("labels", s.get("labels"))) if v}
            for s in item.get("selectors") or []
        ]
        groups.append(
            NodeGroup(
                name=profile,
                kind="fargate",
                locations=list(item.get("subnets") or []),
                # Each Fargate pod runs on its own node (EKS user guide, fargate.html).
                max_pods_per_node=1,
                max_pods_basis="fargate: one pod per Fargate node",
                extra={"selectors": selectors, "status": item.get("status")},
            )
        )
    return groups


def _subnets(call: _Call, ec2: Any, subnet_ids: list[str]) -> list[Subnet]:
    if not subnet_ids:
        return []

    def describe(ids: list[str]) -> list[dict[str, Any]]:
        return _paginate(ec2, "describe_subnets", "Subnets", SubnetIds=ids)

    found: list[dict[str, Any]] = []
    for start in range(0, len(subnet_ids), 200):
        batch = subnet_ids[start : start + 200]
        gaps_before = len(call.gaps)
        result = call("cloud.subnets", "ec2:DescribeSubnets", describe, batch)
        if result is None and "InvalidSubnetID" in call.gaps[-1].reason and len(batch) > 1:
            del call.gaps[gaps_before:]  # one missing subnet fails the batch: ask one by one
            for subnet_id in batch:
                one = call(f"cloud.subnets.{subnet_id}", "ec2:DescribeSubnets", describe, [subnet_id])
                found.extend(one or [])
            continue
        found.extend(result or [])
    by_id = {s["SubnetId"]: s for s in found}
    return [
        Subnet(
            id=sid,
            cidr=by_id[sid].get("CidrBlock"),
            zone=by_id[sid].get("AvailabilityZone"),
            available_ips=by_id[sid].get("AvailableIpAddressCount"),
        )
        for sid in subnet_ids
        if sid in by_id
    ]


def _support(
    gaps: list[Gap], ctx: _Region, version: str | None, support_type: str | None
) -> tuple[str | None, dict[str, Any]]:
    """The end date of the cluster's support window, and both published end dates as extras."""
    if not version:
        gaps.append(Gap(SOURCE, "cloud.support_end", "eks:DescribeCluster returned no version"))
        return None, {}
    entry = ctx.cluster_version(version)
    if isinstance(entry, str):
        gaps.append(Gap(SOURCE, "cloud.support_end", entry))
        return None, {}
    dates = {
        "end_of_standard_support": _iso_date(entry.get("endOfStandardSupportDate")),
        "end_of_extended_support": _iso_date(entry.get("endOfExtendedSupportDate")),
        "version_status": entry.get("versionStatus") or entry.get("status"),
    }
    key = {"STANDARD": "end_of_standard_support", "EXTENDED": "end_of_extended_support"}.get(support_type or "")
    if key is None:
        gaps.append(Gap(SOURCE, "cloud.support_end", "support end depends on upgradePolicy.supportType, not returned"))
        return None, dates
    if dates[key] is None:
        gaps.append(Gap(SOURCE, "cloud.support_end", f"eks:DescribeClusterVersions gave no {key} date"))
    return dates[key], dates


def _iso_date(value: Any) -> str | None:
    """The UTC calendar date of a DescribeClusterVersions timestamp.

    botocore hands timestamps over in the machine's local zone (``tzlocal``), and the AWS CLI prints them so:
    the EKS user guide's example shows 1.31's end of standard support as ``2025-11-25T16:00:00-08:00``, which
    its release calendar (dates in UTC+0) gives as November 26, 2025. The date is taken in UTC, never local.
    """
    if value is None:
        return None
    if not isinstance(value, datetime):
        text = str(value).strip()
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text[:10] or None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.date().isoformat()
