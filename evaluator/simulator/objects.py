"""Object builders for the synthetic cluster: each returns one Kubernetes object as a JSON-ready dict.

Every builder is a pure function of the cluster model and an index, so the same seed serves the same bytes.
List items are built without ``kind``/``apiVersion`` (the server adds them for single GETs), except
custom resources, which the real apiserver serves as unstructured objects carrying both.
"""

from __future__ import annotations

from typing import Any

from .cluster import IDENTITIES_CRD, ClusterModel
from .names import hash_suffix, hex_id, mix, offset_time, ordered_suffix, tag, unit

_T_NS, _T_NODE, _T_POD, _T_SVC, _T_EP, _T_NP, _T_CM, _T_SEC, _T_EV, _T_DEP, _T_RS, _T_DS, _T_CRD, _T_WH, _T_CR = range(
    101, 116
)

_CNI_IMAGES = {
    "calico-node": "docker.io/calico/node:v3.27.3",
    "cilium": "quay.io/cilium/cilium:v1.15.5",
    "aws-node": "602401143452.dkr.ecr.eu-west-2.amazonaws.com/amazon-k8s-cni:v1.18.1-eksbuild.1",
    "kube-flannel-ds": "docker.io/flannel/flannel:v0.25.1",
    "anetd": "gke.gcr.io/cilium/cilium:v1.14.6-gke.4",
    "weave-net": "ghcr.io/weaveworks/launcher/weave-kube:2.8.1",
}
_OS_IMAGES = {
    ("self-hosted", "linux"): ("Ubuntu 22.04.4 LTS", "5.15.0-107-generic"),
    ("eks", "linux"): ("Amazon Linux 2023.4.20240528", "6.1.91-99.172.amzn2023.x86_64"),
    ("gke", "linux"): ("Container-Optimized OS from Google", "6.1.75+"),
}
EVENTS_ETCD_URL = "https://127.0.0.1:4002"  # the events etcd of a spec with events_etcd_db_size_bytes
_DEFAULT_APISERVER_FLAGS = {
    "advertise-address": "{ip}",
    "allow-privileged": "true",
    "authorization-mode": "Node,RBAC",
    "client-ca-file": "/etc/kubernetes/pki/ca.crt",
    "enable-admission-plugins": "NodeRestriction",
    "enable-bootstrap-token-auth": "true",
    "etcd-cafile": "/etc/kubernetes/pki/etcd/ca.crt",
    "etcd-certfile": "/etc/kubernetes/pki/apiserver-etcd-client.crt",
    "etcd-keyfile": "/etc/kubernetes/pki/apiserver-etcd-client.key",
    "etcd-servers": "https://127.0.0.1:2379",
    "kubelet-client-certificate": "/etc/kubernetes/pki/apiserver-kubelet-client.crt",
    "kubelet-client-key": "/etc/kubernetes/pki/apiserver-kubelet-client.key",
    "kubelet-preferred-address-types": "InternalIP,ExternalIP,Hostname",
    "proxy-client-cert-file": "/etc/kubernetes/pki/front-proxy-client.crt",
    "proxy-client-key-file": "/etc/kubernetes/pki/front-proxy-client.key",
    "requestheader-allowed-names": "front-proxy-client",
    "requestheader-client-ca-file": "/etc/kubernetes/pki/front-proxy-ca.crt",
    "requestheader-extra-headers-prefix": "X-Remote-Extra-",
    "requestheader-group-headers": "X-Remote-Group",
    "requestheader-username-headers": "X-Remote-User",
    "secure-port": "6443",
    "service-account-issuer": "https://kubernetes.default.svc.cluster.local",
    "service-account-key-file": "/etc/kubernetes/pki/sa.pub",
    "service-account-signing-key-file": "/etc/kubernetes/pki/sa.key",
    "service-cluster-ip-range": "10.96.0.0/12",
    "tls-cert-file": "/etc/kubernetes/pki/apiserver.crt",
    "tls-private-key-file": "/etc/kubernetes/pki/apiserver.key",
}
_DEFAULT_ETCD_FLAGS = {
    "advertise-client-urls": "https://{ip}:2379",
    "cert-file": "/etc/kubernetes/pki/etcd/server.crt",
    "client-cert-auth": "true",
    "data-dir": "/var/lib/etcd",
    "experimental-initial-corrupt-check": "true",
    "experimental-watch-progress-notify-interval": "5s",
    "initial-advertise-peer-urls": "https://{ip}:2380",
    "initial-cluster": "{cluster}",
    "key-file": "/etc/kubernetes/pki/etcd/server.key",
    "listen-client-urls": "https://127.0.0.1:2379,https://{ip}:2379",
    "listen-metrics-urls": "http://127.0.0.1:2381",
    "listen-peer-urls": "https://{ip}:2380",
    "name": "{node}",
    "peer-cert-file": "/etc/kubernetes/pki/etcd/peer.crt",
    "peer-client-cert-auth": "true",
    "peer-key-file": "/etc/kubernetes/pki/etcd/peer.key",
    "peer-trusted-ca-file": "/etc/kubernetes/pki/etcd/ca.crt",
    "snapshot-count": "10000",
    "trusted-ca-file": "/etc/kubernetes/pki/etcd/ca.crt",
}


# The requests kubeadm writes into its static Pods (kubernetes cmd/kubeadm/app/phases/controlplane/manifests.go and
# phases/etcd/local.go); the recorded minikube Pods (tests/fixtures/real/kubeadm/) carry the apiserver's and etcd's.
_STATIC_POD_REQUESTS = {
    "kube-apiserver": {"cpu": "250m"},
    "kube-controller-manager": {"cpu": "200m"},
    "kube-scheduler": {"cpu": "100m"},
    "etcd": {"cpu": "100m", "memory": "100Mi"},
}

_INSTANCE_SHAPES = {
    "m5.large": (2, 8),
    "m5.xlarge": (4, 16),
    "m5.2xlarge": (8, 32),
    "m5.4xlarge": (16, 64),
    "m5.8xlarge": (32, 128),
    "r5.2xlarge": (8, 64),
    "c5.4xlarge": (16, 32),
    "t3.medium": (2, 4),
    "e2-standard-4": (4, 16),
    "e2-standard-8": (8, 32),
    "n2-standard-16": (16, 64),
    "n2-highmem-8": (8, 64),
}
_CR_PREFIXES = {
    "networkpolicies.crd.projectcalico.org": "default.policy",
    "globalnetworkpolicies.crd.projectcalico.org": "default.global",
    "ciliumnetworkpolicies.cilium.io": "cnp",
    "ciliumclusterwidenetworkpolicies.cilium.io": "ccnp",
}


def instance_shape(instance_type: str) -> tuple[int, int]:
    """(vCPUs, memory GiB) of an instance type name; ``vm-16c-64g`` style names are parsed."""
    if instance_type in _INSTANCE_SHAPES:
        return _INSTANCE_SHAPES[instance_type]
    parts = instance_type.split("-")
    cpus = next((int(p[:-1]) for p in parts if p.endswith("c") and p[:-1].isdigit()), 8)
    mem = next((int(p[:-1]) for p in parts if p.endswith("g") and p[:-1].isdigit()), 32)
    return cpus, mem


class Builders:
    """Builds the objects of one synthetic cluster from its layout (a :class:`~.cluster.ClusterModel`)."""

    def __init__(self, cluster: ClusterModel) -> None:
        self.c = cluster
        self.spec = cluster.spec
        self.seed = cluster.seed
        self.rv = cluster.resource_version
        self._rs_cache: dict[tuple[int, int], str] = {}

    # ------------------------------------------------------------------ shared

    def _meta(self, kind_tag: int, ns: int | None, name: str, *parts: int, **extra: Any) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": name}
        if ns is not None:
            meta["namespace"] = self.c.namespaces[ns]
        meta["uid"] = self.c.uid(kind_tag, ns if ns is not None else -1, *parts)
        meta["resourceVersion"] = str(self.rv - 1 - mix(self.seed, kind_tag, ns or 0, *parts) % 900_000)
        meta["creationTimestamp"] = self.c.created_at(kind_tag, ns or 0, *parts)
        meta.update(extra)
        return meta

    def _app_block(self, ns: int, index: int) -> tuple[int, int, int]:
        """(deployment number, replica number, replicas of that deployment) of pod ``index`` in ``ns``."""
        per = self.c.replicas_per_ns[ns]
        d, r = divmod(index, per)
        return d, r, min(per, self.c.pods_per_ns[ns] - d * per)

    def _rs_hash(self, ns: int, d: int) -> str:
        key = (ns, d)
        value = self._rs_cache.get(key)
        if value is None:
            if len(self._rs_cache) > 50_000:  # bounded: a page touches a few hundred Deployments at most
                self._rs_cache.clear()
            value = self._rs_cache[key] = hash_suffix(self.seed, _T_RS, ns, d, width=10)
        return value

    def _image(self, ns: int, d: int) -> str:
        tenant = self.c.namespaces[ns].split("-")[0]
        return f"registry.example.com/{tenant}/app-{d:05d}:1.{mix(self.seed, ns, d) % 20}.{mix(self.seed, d) % 9}"

    def _image_id(self, ns: int, d: int) -> str:
        return (
            f"registry.example.com/{self.c.namespaces[ns].split('-')[0]}/app-{d:05d}@sha256:{hex_id(self.seed, ns, d)}"
        )

    # ------------------------------------------------------------------ namespaces and nodes

    def namespace(self, j: int) -> dict[str, Any]:
        """Namespace ``j``."""
        name = self.c.namespaces[j]
        labels = {"kubernetes.io/metadata.name": name}
        if name not in ("default", "kube-system", "kube-public", "kube-node-lease"):
            labels["team"] = name.split("-")[0]
            labels["environment"] = name.split("-")[1]
            labels["pod-security.kubernetes.io/enforce"] = "restricted" if mix(self.seed, j) % 3 else "baseline"
        meta = self._meta(_T_NS, None, name, j, labels=labels)
        if name == "kube-system":
            # A real cluster's kube-system UID is fixed at creation: derive it from the cluster's name and seed,
            # not from the namespace's sorted position (which moves when the cluster grows), so a cluster keeps
            # its id across snapshots and two simulated clusters differ when their seeds or names do.
            meta["uid"] = self.c.uid(_T_NS, -2, int.from_bytes(self.spec.name.encode()[:8].ljust(8, b"\0"), "big"))
        return {
            "metadata": meta,
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }

    def node(self, j: int) -> dict[str, Any]:
        """Node ``j`` (sorted by name)."""
        info = self.c.nodes[j]
        spec, platform = self.spec, self.spec.platform
        pool = info.pool
        os_name = pool.os if pool else "linux"
        arch = pool.arch if pool else "amd64"
        labels = {
            "beta.kubernetes.io/arch": arch,
            "beta.kubernetes.io/instance-type": info.instance_type,
            "beta.kubernetes.io/os": os_name,
            "failure-domain.beta.kubernetes.io/region": self.c.defaults["region"],
            "failure-domain.beta.kubernetes.io/zone": info.zone,
            "kubernetes.io/arch": arch,
            "kubernetes.io/hostname": info.name,
            "kubernetes.io/os": os_name,
            "node.kubernetes.io/instance-type": info.instance_type,
            "topology.kubernetes.io/region": self.c.defaults["region"],
            "topology.kubernetes.io/zone": info.zone,
        }
        if pool:
            labels[self.c.pool_label] = pool.name
            labels.update(pool.labels)
            if platform == "eks":
                labels["eks.amazonaws.com/capacityType"] = "ON_DEMAND"
                labels["eks.amazonaws.com/nodegroup-image"] = "ami-0a1b2c3d4e5f67890"
        taints = []
        if info.control_plane:
            labels["node-role.kubernetes.io/control-plane"] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
            taints.append({"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"})
        cpus, mem = instance_shape(info.instance_type)
        capacity = {
            "cpu": str(cpus),
            "ephemeral-storage": "104845292Ki",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": f"{mem * 1024 * 1024 - 400_000}Ki",
            "pods": str(info.max_pods),
        }
        allocatable = dict(capacity)
        allocatable["cpu"] = f"{cpus * 1000 - 90 - 10 * cpus}m"
        allocatable["memory"] = f"{mem * 1024 * 1024 - 400_000 - 1_100_000}Ki"
        allocatable["ephemeral-storage"] = "95551679124"
        os_image, kernel = _OS_IMAGES.get((platform, os_name), ("Windows Server 2022 Datacenter", "10.0.20348.2461"))
        kubelet = "v" + info.kubelet_version.lstrip("v")
        if platform == "eks":
            kubelet += f"-eks-{hash_suffix(self.seed, 77, tag(info.kubelet_version), width=7)}"
        elif platform == "gke":
            kubelet += f"-gke.{1000000 + mix(self.seed, 78, tag(info.kubelet_version)) % 900000}"
        ip = self.c.node_ip(j)
        created = self.c.created_at(_T_NODE, info.number)
        node_spec: dict[str, Any] = {}
        if spec.cni not in ("aws-vpc-cni",):
            node_spec["podCIDR"] = f"10.{64 + (info.number >> 8)}.{info.number & 255}.0/24"
            node_spec["podCIDRs"] = [node_spec["podCIDR"]]
        if platform == "eks":
            node_spec["providerID"] = f"aws:///{info.zone}/i-0{hex_id(self.seed, 79, info.number, width=16)}"
        elif platform == "gke":
            node_spec["providerID"] = f"gce://bank-platform-prod/{info.zone}/{info.name}"
        if taints:
            node_spec["taints"] = taints
        heartbeat = offset_time(created, 3600)
        conditions = [
            {
                "type": t,
                "status": "False",
                "reason": r,
                "message": m,
                "lastHeartbeatTime": heartbeat,
                "lastTransitionTime": created,
            }
            for t, r, m in (
                ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            )
        ]
        conditions.append(
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": heartbeat,
                "lastTransitionTime": created,
            }
        )
        return {
            "metadata": self._meta(
                _T_NODE,
                None,
                info.name,
                info.number,
                labels=labels,
                annotations={
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
            ),
            "spec": node_spec,
            "status": {
                "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": info.name}],
                "allocatable": allocatable,
                "capacity": capacity,
                "conditions": conditions,
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": arch,
                    "bootID": self.c.uid(_T_NODE, info.number, 1),
                    "containerRuntimeVersion": "containerd://1.7.13",
                    "kernelVersion": kernel,
                    "kubeProxyVersion": kubelet,
                    "kubeletVersion": kubelet,
                    "machineID": hex_id(self.seed, _T_NODE, info.number, 2, width=32),
                    "operatingSystem": os_name,
                    "osImage": os_image,
                    "systemUUID": self.c.uid(_T_NODE, info.number, 3),
                },
            },
        }

    # ------------------------------------------------------------------ pods

    def pod_name(self, ns: int, j: int) -> str:
        """Name of pod ``j`` in namespace ``ns``."""
        if ns == self.c.kube_system:
            return self.c.system_pods[j].name
        d, r, replicas = self._app_block(ns, j)
        return f"app-{d:05d}-{self._rs_hash(ns, d)}-{ordered_suffix(r, replicas, mix(self.seed, _T_POD, ns, d))}"

    def pod_phase(self, ns: int, j: int) -> str:
        """Phase of pod ``j`` in ``ns``: mostly Running, a few Pending, Succeeded or Failed."""
        if ns == self.c.kube_system:
            return "Running"
        u = unit(self.seed, _T_POD, ns, j, 9)
        return "Running" if u < 0.965 else "Pending" if u < 0.985 else "Succeeded" if u < 0.995 else "Failed"

    def app_index(self, ns: int, j: int) -> int:
        """Index of an application pod among all pods outside kube-system."""
        index = self.c.pod_starts[ns] + j
        return index - self.c.pod_counts[self.c.kube_system] if ns > self.c.kube_system else index

    def standalone(self, ns: int, j: int) -> bool:
        """About 1 application pod in 400 has no ownerReferences (created by hand)."""
        return ns != self.c.kube_system and mix(self.seed, _T_POD, ns, j, 13) % 400 == 0

    def pod(self, ns: int, j: int) -> dict[str, Any]:
        """Pod ``j`` in namespace ``ns``."""
        if ns == self.c.kube_system:
            return self._system_pod(j)
        d, r, _replicas = self._app_block(ns, j)
        a = self.app_index(ns, j)
        node = self.c.app_pod_node(a)
        name = self.pod_name(ns, j)
        phase = self.pod_phase(ns, j)
        app = f"app-{d:05d}"
        rs_name = f"{app}-{self._rs_hash(ns, d)}"
        created = self.c.created_at(_T_POD, ns, j)
        restarts = 0 if mix(self.seed, _T_POD, ns, j, 5) % 10 else mix(self.seed, ns, j) % 7
        container = {
            "name": "app",
            "image": self._image(ns, d),
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
            "resources": {"limits": {"memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
        }
        ready = phase == "Running"
        state: dict[str, Any]
        variant = mix(self.seed, _T_POD, ns, j, 6) % 4
        if phase == "Running" and restarts and variant == 0:
            # Between restarts: the container's last run ended; the printer shows its reason ("Error"),
            # the pod is still Running and holds its node.
            ready = False
            state = {
                "terminated": {
                    "exitCode": 1,
                    "reason": "Error",
                    "startedAt": created,
                    "finishedAt": offset_time(created, 60),
                }
            }
        elif phase == "Running":
            state = {"running": {"startedAt": created}}
        elif phase == "Pending":
            state = {"waiting": {"reason": "ContainerCreating"}}
        else:
            code = 0 if phase == "Succeeded" else (137 if variant < 2 else 1)
            terminated: dict[str, Any] = {
                "exitCode": code,
                "startedAt": created,
                "finishedAt": offset_time(created, 600),
            }
            if code == 0:
                terminated["reason"] = "Completed"
            elif code == 137:
                terminated["reason"] = "OOMKilled"
            # exit code 1 without a reason: the printer writes "ExitCode:1"
            state = {"terminated": terminated}
        status: dict[str, Any] = {
            "phase": phase,
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": created},
                {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": created},
                {"type": "ContainersReady", "status": "True" if ready else "False", "lastTransitionTime": created},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": created},
            ],
            "hostIP": self.c.node_ip(node),
            "hostIPs": [{"ip": self.c.node_ip(node)}],
            "qosClass": "Burstable",
            "startTime": created,
            "containerStatuses": [
                {
                    "name": "app",
                    "image": container["image"],
                    "imageID": self._image_id(ns, d),
                    "containerID": f"containerd://{hex_id(self.seed, _T_POD, ns, j, width=64)}",
                    "ready": ready,
                    "started": ready,
                    "restartCount": restarts,
                    "state": state,
                    # kubelet keeps the previous run's end: the printer writes "N (<age> ago)" from it
                    "lastState": {
                        "terminated": {
                            "exitCode": 1,
                            "reason": "Error",
                            "startedAt": created,
                            "finishedAt": offset_time(created, 30),
                        }
                    }
                    if restarts
                    else {},
                }
            ],
        }
        if phase != "Pending":
            status["podIP"] = self.c.pod_ip(a)
            status["podIPs"] = [{"ip": self.c.pod_ip(a)}]
        meta = self._meta(
            _T_POD,
            ns,
            name,
            j,
            generateName=f"{rs_name}-",
            labels={"app": app, "pod-template-hash": self._rs_hash(ns, d)},
            ownerReferences=[
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs_name,
                    "uid": self.c.uid(_T_RS, ns, d),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        )
        if self.standalone(ns, j):  # a pod created by hand (kubectl run): no owner, EKS policies skip it
            del meta["ownerReferences"], meta["generateName"]
        return {
            "metadata": meta,
            "spec": {
                "containers": [container],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": True,
                "nodeName": self.c.nodes[node].name,
                "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0,
                "restartPolicy": "Always",
                "schedulerName": "default-scheduler",
                "securityContext": {"runAsNonRoot": True},
                "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {
                        "effect": "NoExecute",
                        "key": "node.kubernetes.io/not-ready",
                        "operator": "Exists",
                        "tolerationSeconds": 300,
                    },
                    {
                        "effect": "NoExecute",
                        "key": "node.kubernetes.io/unreachable",
                        "operator": "Exists",
                        "tolerationSeconds": 300,
                    },
                ],
            },
            "status": status,
        }

    def _flags(self, defaults: dict[str, str], overrides: dict[str, str], **values: str) -> list[str]:
        merged = {k: v.format(**values) for k, v in defaults.items()}
        merged.update(overrides)
        return [f"--{k}={v}" if v != "" else f"--{k}" for k, v in sorted(merged.items())]

    def static_pod_command(self, component: str, node: int) -> list[str]:
        """The command line of a static control-plane pod on ``node``."""
        ip = self.c.node_ip(node)
        name = self.c.nodes[node].name
        if component == "kube-apiserver":
            defaults = dict(_DEFAULT_APISERVER_FLAGS)
            if self.spec.events_etcd_db_size_bytes is not None:
                defaults["etcd-servers-overrides"] = f"/events#{EVENTS_ETCD_URL}"
            return ["kube-apiserver", *self._flags(defaults, self.spec.apiserver_flags, ip=ip)]
        if component == "etcd":
            members = [i for i, n in enumerate(self.c.nodes) if n.control_plane]
            cluster = ",".join(f"{self.c.nodes[i].name}=https://{self.c.node_ip(i)}:2380" for i in members)
            return ["etcd", *self._flags(_DEFAULT_ETCD_FLAGS, self.spec.etcd_flags, ip=ip, node=name, cluster=cluster)]
        if component == "kube-controller-manager":
            return [
                "kube-controller-manager",
                "--allocate-node-cidrs=true",
                "--cluster-cidr=10.64.0.0/10",
                "--kubeconfig=/etc/kubernetes/controller-manager.conf",
                "--leader-elect=true",
                "--node-cidr-mask-size=24",
                "--service-cluster-ip-range=10.96.0.0/12",
                "--use-service-account-credentials=true",
            ]
        return [
            "kube-scheduler",
            "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
            "--kubeconfig=/etc/kubernetes/scheduler.conf",
            "--leader-elect=true",
        ]

    def _system_pod(self, j: int) -> dict[str, Any]:
        sp = self.c.system_pods[j]
        ks = self.c.kube_system
        node_name = self.c.nodes[sp.node].name
        version = "v" + self.spec.version.lstrip("v")
        created = self.c.created_at(_T_POD, ks, tag(sp.name))
        labels: dict[str, str]
        owner: dict[str, Any]
        host_network = True
        if sp.kind == "static":
            labels = {"component": sp.owner, "tier": "control-plane"}
            owner = {
                "apiVersion": "v1",
                "kind": "Node",
                "name": node_name,
                "uid": self.c.uid(_T_NODE, sp.node),
                "controller": True,
            }
            image = f"registry.k8s.io/{sp.owner}:{'3.5.12-0' if sp.owner == 'etcd' else version}"
            command = self.static_pod_command(sp.owner, sp.node)
            priority_class = "system-node-critical"
        elif sp.kind == "daemonset":
            labels = {
                "k8s-app": sp.owner,
                "controller-revision-hash": hash_suffix(self.seed, tag(sp.owner), width=10),
                "pod-template-generation": "1",
            }
            owner = {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "name": sp.owner,
                "uid": self.c.uid(_T_DS, ks, tag(sp.owner)),
                "controller": True,
                "blockOwnerDeletion": True,
            }
            image = _CNI_IMAGES.get(sp.owner, f"registry.k8s.io/kube-proxy:{version}")
            command = (
                [
                    "/usr/local/bin/kube-proxy",
                    "--config=/var/lib/kube-proxy/config.conf",
                    "--hostname-override=$(NODE_NAME)",
                ]
                if sp.owner == "kube-proxy"
                else []
            )
            priority_class = "system-node-critical"
        else:
            rs = sp.name.rsplit("-", 1)[0]
            labels = {
                "k8s-app": "kube-dns" if sp.owner == "coredns" else sp.owner,
                "pod-template-hash": rs.rsplit("-", 1)[1],
            }
            owner = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": rs,
                "uid": self.c.uid(_T_RS, ks, tag(sp.owner)),
                "controller": True,
                "blockOwnerDeletion": True,
            }
            image = (
                "registry.k8s.io/coredns/coredns:v1.11.1"
                if sp.owner == "coredns"
                else (
                    "docker.io/calico/kube-controllers:v3.27.3"
                    if sp.owner.startswith("calico")
                    else "quay.io/cilium/operator-generic:v1.15.5"
                )
            )
            command = ["/coredns", "-conf", "/etc/coredns/Corefile"] if sp.owner == "coredns" else []
            priority_class = "system-cluster-critical"
            host_network = False
        container: dict[str, Any] = {
            "name": sp.owner,
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "resources": {"requests": dict(_STATIC_POD_REQUESTS.get(sp.owner, {"cpu": "100m", "memory": "70Mi"}))}
            if sp.kind == "static"
            else {"requests": {"cpu": "100m", "memory": "70Mi"}},
        }
        if command:
            container["command"] = command
        meta = self._meta(_T_POD, ks, sp.name, tag(sp.name), labels=labels, ownerReferences=[owner])
        if sp.kind == "static":
            # A mirror Pod as the kubelet writes it (the recorded kubeadm Pods, tests/fixtures/real/kubeadm/):
            # config.mirror repeats config.hash, config.seen is when the kubelet read the manifest.
            config_hash = hex_id(self.seed, tag(sp.name), width=32)
            meta["annotations"] = {
                "kubernetes.io/config.hash": config_hash,
                "kubernetes.io/config.mirror": config_hash,
                "kubernetes.io/config.seen": created.replace("Z", ".000000000Z"),
                "kubernetes.io/config.source": "file",
            }
            if sp.owner == "kube-apiserver":
                meta["annotations"]["kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"] = (
                    f"{self.c.node_ip(sp.node)}:6443"
                )
            elif sp.owner == "etcd":
                meta["annotations"]["kubeadm.kubernetes.io/etcd.advertise-client-urls"] = (
                    f"https://{self.c.node_ip(sp.node)}:2379"
                )
        ip = self.c.node_ip(sp.node) if host_network else self.c.pod_ip(10_000_000 + j)
        pod_spec: dict[str, Any] = {
            "containers": [container],
            "hostNetwork": host_network,
            "nodeName": node_name,
            "priority": 2000001000 if priority_class == "system-node-critical" else 2000000000,
            "priorityClassName": priority_class,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "tolerations": [{"effect": "NoExecute", "operator": "Exists"}],
        }
        if sp.kind == "static":  # kubeadm's static Pods run with the runtime's default seccomp profile
            pod_spec["securityContext"] = {"seccompProfile": {"type": "RuntimeDefault"}}
        return {
            "metadata": meta,
            "spec": pod_spec,
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": created}],
                "hostIP": self.c.node_ip(sp.node),
                "podIP": ip,
                "podIPs": [{"ip": ip}],
                "qosClass": "Burstable",
                "startTime": created,
                "containerStatuses": [
                    {
                        "name": sp.owner,
                        "image": image,
                        "ready": True,
                        "started": True,
                        "restartCount": 0,
                        "state": {"running": {"startedAt": created}},
                        "containerID": f"containerd://{hex_id(self.seed, tag(sp.name), width=64)}",
                        "imageID": f"{image.split(':')[0]}@sha256:{hex_id(self.seed, tag(image), width=64)}",
                    }
                ],
            },
        }

    # ------------------------------------------------------------------ workloads

    def deployment_name(self, ns: int, j: int) -> str:
        """Name of Deployment ``j`` in ``ns``."""
        if ns == self.c.kube_system:
            return self.c.system_deployments[j][0]
        return f"app-{j:05d}"

    def _deployment_replicas(self, ns: int, j: int) -> int:
        if ns == self.c.kube_system:
            return self.c.system_deployments[j][1]
        per = self.c.replicas_per_ns[ns]
        return min(per, self.c.pods_per_ns[ns] - j * per)

    def deployment(self, ns: int, j: int) -> dict[str, Any]:
        """Deployment ``j`` in ``ns``."""
        name = self.deployment_name(ns, j)
        replicas = self._deployment_replicas(ns, j)
        labels = {"k8s-app": "kube-dns" if name == "coredns" else name} if ns == self.c.kube_system else {"app": name}
        image = self._image(ns, j) if ns != self.c.kube_system else "registry.k8s.io/coredns/coredns:v1.11.1"
        return {
            "metadata": self._meta(_T_DEP, ns, name, j, generation=1, labels=labels),
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": image}]}},
            },
            "status": {
                "observedGeneration": 1,
                "replicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
                "updatedReplicas": replicas,
            },
        }

    def replicaset_name(self, ns: int, j: int) -> str:
        """Name of ReplicaSet ``j`` in ``ns`` (one per Deployment)."""
        if ns == self.c.kube_system:
            deploy = self.c.system_deployments[j][0]
            return f"{deploy}-{hash_suffix(self.seed, tag(deploy), width=10)}"
        return f"app-{j:05d}-{self._rs_hash(ns, j)}"

    def replicaset(self, ns: int, j: int) -> dict[str, Any]:
        """ReplicaSet ``j`` in ``ns``."""
        name = self.replicaset_name(ns, j)
        deploy = self.deployment_name(ns, j)
        replicas = self._deployment_replicas(ns, j)
        uid_parts = (tag(deploy),) if ns == self.c.kube_system else (j,)
        return {
            "metadata": self._meta(
                _T_RS,
                ns,
                name,
                *uid_parts,
                labels={"pod-template-hash": name.rsplit("-", 1)[1]},
                ownerReferences=[
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": deploy,
                        "uid": self.c.uid(_T_DEP, ns, j),
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            ),
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"pod-template-hash": name.rsplit("-", 1)[1]}}},
            "status": {
                "replicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
                "fullyLabeledReplicas": replicas,
                "observedGeneration": 1,
            },
        }

    def daemonset(self, ns: int, j: int) -> dict[str, Any]:
        """kube-system DaemonSet ``j``."""
        name = self.c.daemonsets[j]
        nodes = len(self.c.nodes)
        version = "v" + self.spec.version.lstrip("v")
        image = _CNI_IMAGES.get(name, f"registry.k8s.io/kube-proxy:{version}")
        return {
            "metadata": self._meta(_T_DS, ns, name, tag(name), generation=1, labels={"k8s-app": name}),
            "spec": {
                "selector": {"matchLabels": {"k8s-app": name}},
                "template": {
                    "metadata": {"labels": {"k8s-app": name}},
                    "spec": {
                        "containers": [{"name": name, "image": image}],
                        "hostNetwork": True,
                        "nodeSelector": {"kubernetes.io/os": "linux"},
                    },
                },
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            },
            "status": {
                "currentNumberScheduled": nodes,
                "desiredNumberScheduled": nodes,
                "numberAvailable": nodes,
                "numberMisscheduled": 0,
                "numberReady": nodes,
                "observedGeneration": 1,
                "updatedNumberScheduled": nodes,
            },
        }

    # ------------------------------------------------------------------ services and endpoints

    def service_name(self, ns: int, j: int) -> str:
        """Name of Service ``j`` in ``ns`` (generated ``app-*`` names sort before the fixed ones)."""
        generated = self.c.services_gen[ns]
        if j < generated:
            return f"app-{j:05d}"
        return self.c.service_fixed[ns][j - generated]

    def service_type(self, ns: int, j: int) -> str:
        """ClusterIP (about 80%, some headless), NodePort, LoadBalancer or ExternalName."""
        if j >= self.c.services_gen[ns]:
            return "ClusterIP"
        u = unit(self.seed, _T_SVC, ns, j)
        return "ClusterIP" if u < 0.80 else "NodePort" if u < 0.90 else "LoadBalancer" if u < 0.98 else "ExternalName"

    def _service_ip(self, ns: int, j: int) -> str:
        name = self.service_name(ns, j)
        if name == "kubernetes":
            return "10.96.0.1"
        if name == "kube-dns":
            return "10.96.0.10"
        number = 100 + mix(self.seed, _T_SVC, ns, j) % (1 << 20)
        return f"10.{96 + (number >> 16)}.{(number >> 8) & 255}.{number & 255}"

    def service(self, ns: int, j: int) -> dict[str, Any]:
        """Service ``j`` in ``ns``."""
        name = self.service_name(ns, j)
        kind = self.service_type(ns, j)
        if name == "kubernetes":
            return {
                "metadata": self._meta(
                    _T_SVC, ns, name, j, labels={"component": "apiserver", "provider": "kubernetes"}
                ),
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": "10.96.0.1",
                    "clusterIPs": ["10.96.0.1"],
                    "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                    "sessionAffinity": "None",
                    "ipFamilies": ["IPv4"],
                    "ipFamilyPolicy": "SingleStack",
                },
                "status": {"loadBalancer": {}},
            }
        if name == "kube-dns":
            return {
                "metadata": self._meta(_T_SVC, ns, name, j, labels={"k8s-app": "kube-dns"}),
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": "10.96.0.10",
                    "clusterIPs": ["10.96.0.10"],
                    "ports": [
                        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                        {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                        {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
                    ],
                    "selector": {"k8s-app": "kube-dns"},
                    "sessionAffinity": "None",
                    "ipFamilies": ["IPv4"],
                    "ipFamilyPolicy": "SingleStack",
                },
                "status": {"loadBalancer": {}},
            }
        spec: dict[str, Any] = {"type": kind, "sessionAffinity": "None"}
        status: dict[str, Any] = {"loadBalancer": {}}
        if kind == "ExternalName":
            spec["externalName"] = f"{name}.legacy.example.com"
        else:
            headless = kind == "ClusterIP" and mix(self.seed, _T_SVC, ns, j, 3) % 10 == 0
            ip = "None" if headless else self._service_ip(ns, j)
            port: dict[str, Any] = {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}
            if kind in ("NodePort", "LoadBalancer"):
                port["nodePort"] = 30000 + mix(self.seed, _T_SVC, ns, j, 4) % 2768
            spec.update(
                {
                    "clusterIP": ip,
                    "clusterIPs": [ip],
                    "ports": [port],
                    "selector": {"app": name},
                    "ipFamilies": ["IPv4"],
                    "ipFamilyPolicy": "SingleStack",
                    "internalTrafficPolicy": "Cluster",
                }
            )
            if kind == "LoadBalancer":
                spec["externalTrafficPolicy"] = "Cluster"
                status = {"loadBalancer": {"ingress": [{"ip": f"203.0.113.{1 + mix(self.seed, ns, j) % 254}"}]}}
        return {"metadata": self._meta(_T_SVC, ns, name, j, labels={"app": name}), "spec": spec, "status": status}

    def endpoint_count(self, ns: int, j: int) -> int:
        """Ready endpoints behind Service ``j`` in ``ns`` (capped by the spec's endpoints_per_service)."""
        name = self.service_name(ns, j)
        cap = self.spec.endpoints_per_service
        if name == "kubernetes":
            return min(cap, max(self.spec.control_plane_nodes or 0, 2))
        if name == "kube-dns":
            return min(cap, 2)
        if self.service_type(ns, j) == "ExternalName":
            return 0
        if j < self.c.deployments_per_ns[ns]:
            return min(cap, self._deployment_replicas(ns, j))
        return 1 + mix(self.seed, _T_EP, ns, j) % cap

    def _endpoint_ips(self, ns: int, j: int) -> list[str]:
        name = self.service_name(ns, j)
        count = self.endpoint_count(ns, j)
        if name == "kubernetes":
            cps = [i for i, n in enumerate(self.c.nodes) if n.control_plane]
            if cps:
                return [self.c.node_ip(i) for i in cps][:count]
        base = mix(self.seed, _T_EP, ns, j, 1) % (1 << 20)
        return [self.c.pod_ip(base + k * 7) for k in range(count)]

    def endpoints(self, ns: int, j: int) -> dict[str, Any]:
        """Endpoints object of Service ``j`` in ``ns``."""
        name = self.service_name(ns, j)
        ips = self._endpoint_ips(ns, j)
        port = 6443 if name == "kubernetes" else 53 if name == "kube-dns" else 8080
        subsets = (
            [{"addresses": [{"ip": ip} for ip in ips], "ports": [{"port": port, "protocol": "TCP"}]}] if ips else []
        )
        return {"metadata": self._meta(_T_EP, ns, name, j, labels={"app": name}), "subsets": subsets}

    def slice_name(self, ns: int, j: int) -> str:
        """Name of the EndpointSlice of Service ``j`` in ``ns``."""
        name = self.service_name(ns, j)
        if name == "kubernetes":
            return name  # the apiserver's own slice is named after the Service
        return f"{name}-{hash_suffix(self.seed, _T_EP, ns, j, width=5)}"

    def endpointslice(self, ns: int, j: int) -> dict[str, Any]:
        """EndpointSlice (discovery.k8s.io/v1) of Service ``j`` in ``ns``."""
        svc = self.service_name(ns, j)
        ips = self._endpoint_ips(ns, j)
        port = 6443 if svc == "kubernetes" else 53 if svc == "kube-dns" else 8080
        endpoints = []
        for k, ip in enumerate(ips):
            endpoint: dict[str, Any] = {
                "addresses": [ip],
                "conditions": {"ready": True, "serving": True, "terminating": False},
            }
            if svc != "kubernetes" and self.c.nodes:
                node = mix(self.seed, ns, j, k) % len(self.c.nodes)
                endpoint["nodeName"] = self.c.nodes[node].name
                endpoint["zone"] = self.c.nodes[node].zone
            endpoints.append(endpoint)
        return {
            "metadata": self._meta(
                _T_EP,
                ns,
                self.slice_name(ns, j),
                j,
                1,
                labels={
                    "kubernetes.io/service-name": svc,
                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                },
                generateName=f"{svc}-",
            ),
            "addressType": "IPv4",
            # discovery/v1 EndpointSlice.endpoints has no omitempty: a slice without endpoints is sent as null
            "endpoints": endpoints or None,
            "ports": [{"name": "", "port": port, "protocol": "TCP"}],
        }

    # ------------------------------------------------------------------ network policies

    def netpol_name(self, ns: int, j: int) -> str:
        """Name of NetworkPolicy ``j`` in ``ns``; the first is a default deny."""
        return "default-deny-all" if j == 0 else f"policy-{j:05d}"

    def fine_grained(self, ns: int) -> bool:
        """A namespace whose team wrote one small policy per port for the same workload and peer range: on
        the EKS agent every such policy adds its ports to the same (pod, peer) entry set (about 1 in 40)."""
        return mix(self.seed, _T_NP, ns, 7) % 40 == 0

    def netpol_plan(self, ns: int, j: int) -> dict[str, Any]:
        """The spec of NetworkPolicy ``j`` in ``ns``, the shapes real estates run: a namespace default deny
        first, then per-app allow rules (same-namespace pods with port lists, cross-namespace peers by
        namespaceSelector, ipBlock lists with ``except``, ``endPort`` ranges, named ports, DNS egress)."""
        if j == 0:
            return {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}
        deps = max(1, self.c.deployments_per_ns[ns])
        n_ns = len(self.c.namespaces)
        h = mix(self.seed, _T_NP, ns, j)
        if self.fine_grained(ns):
            # Three ports per policy from the pod range, all selecting the namespace's first app.
            base = 9000 + 3 * j
            return {
                "podSelector": {"matchLabels": {"app": "app-00000"}},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [{"ipBlock": {"cidr": "100.64.0.0/10"}}],
                        "ports": [{"protocol": "TCP", "port": base + k} for k in range(3)],
                    }
                ],
            }
        ingress: list[dict[str, Any]] = []
        for r in range(1 + h % 2):
            hr = mix(h, tag("ingress"), r)
            kind = hr % 4
            if kind == 0:  # same-namespace app, a port list
                ports = [{"protocol": "TCP", "port": 8080 + k} for k in range(1 + (hr >> 3) % 3)]
                ingress.append({"from": [{"podSelector": {"matchLabels": {"app": f"app-{(j + r) % deps:05d}"}}}],
                                "ports": ports})  # fmt: skip
            elif kind == 1:  # another namespace's app, by namespace name, on the named port
                other = self.c.namespaces[mix(ns, j, r) % n_ns]
                peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": other}},
                        "podSelector": {"matchLabels": {"app": f"app-{(hr >> 5) % 3:05d}"}}}  # fmt: skip
                ingress.append({"from": [peer], "ports": [{"protocol": "TCP", "port": "http"}]})
            elif kind == 2:  # an ipBlock list with excepts, a port range
                blocks = []
                for p in range(2 + (hr >> 4) % 2):
                    octet = mix(ns, j, p) % 256
                    blocks.append({"ipBlock": {"cidr": f"10.{octet}.0.0/16", "except": [f"10.{octet}.1.0/24"]}})
                ingress.append({"from": blocks, "ports": [{"protocol": "TCP", "port": 30000, "endPort": 30099}]})
            else:  # every namespace of a team
                team = self.c.namespaces[mix(ns, j, r, 3) % n_ns].split("-")[0]
                ingress.append({"from": [{"namespaceSelector": {"matchLabels": {"team": team}}}],
                                "ports": [{"protocol": "TCP", "port": 443}]})  # fmt: skip
        egress: list[dict[str, Any]] = []
        for r in range((h >> 2) % 3):
            he = mix(h, tag("egress"), r)
            if r == 0:  # DNS
                egress.append({
                    "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                })  # fmt: skip
            elif he % 2:
                egress.append({"to": [{"podSelector": {"matchLabels": {"app": f"app-{(j + 1) % deps:05d}"}}}],
                               "ports": [{"protocol": "TCP", "port": 5432}]})  # fmt: skip
            else:
                egress.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "100.64.0.0/10"]}}],
                               "ports": [{"protocol": "TCP", "port": 443}]})  # fmt: skip
        spec: dict[str, Any] = {
            "podSelector": {"matchLabels": {"app": f"app-{(j - 1) % deps:05d}"}},
            "policyTypes": ["Ingress"] + (["Egress"] if egress else []),
            "ingress": ingress,
        }
        if egress:
            spec["egress"] = egress
        return spec

    def netpol_shape(self, ns: int, j: int) -> dict[str, Any]:
        """The rule structure of a policy: lists of (peer kinds, port count) per ingress and egress rule."""
        plan = self.netpol_plan(ns, j)
        shape: dict[str, Any] = {"types": plan["policyTypes"], "ingress": [], "egress": []}
        for direction, key in (("ingress", "from"), ("egress", "to")):
            for rule in plan.get(direction) or []:
                kinds = [
                    "ipBlock" if "ipBlock" in peer else "namespaceSelector" if "namespaceSelector" in peer
                    else "podSelector"
                    for peer in rule.get(key) or []
                ]  # fmt: skip
                shape[direction].append((kinds, len(rule.get("ports") or [])))
        return shape

    def netpol(self, ns: int, j: int) -> dict[str, Any]:
        """NetworkPolicy ``j`` in ``ns``."""
        return {
            "metadata": self._meta(_T_NP, ns, self.netpol_name(ns, j), j, generation=1),
            "spec": self.netpol_plan(ns, j),
        }

    # ------------------------------------------------------------------ config

    def configmap_name(self, ns: int, j: int) -> str:
        """Name of ConfigMap ``j`` in ``ns`` (generated ``app-*`` first, then the fixed ones)."""
        generated = self.c.configmaps_gen[ns]
        if j < generated:
            return f"app-{j:05d}-config"
        if ns == self.c.kube_system:
            return self.c.configmap_fixed[j - generated]
        return "kube-root-ca.crt"

    def configmap(self, ns: int, j: int) -> dict[str, Any]:
        """ConfigMap ``j`` in ``ns``; kube-system/kube-proxy carries the KubeProxyConfiguration."""
        name = self.configmap_name(ns, j)
        data: dict[str, str]
        if name == "kube-root-ca.crt":
            data = {
                "ca.crt": "-----BEGIN CERTIFICATE-----\n"
                "MIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n"
                "-----END CERTIFICATE-----\n"
            }
        elif name in ("kube-proxy", "kube-proxy-config"):
            # kubeadm writes mode: "" when left at the iptables default; the simulator always names the mode.
            conf = (
                "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
                "bindAddress: 0.0.0.0\n"
                "clusterCIDR: 10.64.0.0/10\n"
                "kind: KubeProxyConfiguration\n"
                f'mode: "{self.spec.kube_proxy_mode}"\n'
                "ipvs:\n  scheduler: rr\n  strictARP: false\n"
                "iptables:\n  masqueradeAll: false\n  syncPeriod: 30s\n"
                'metricsBindAddress: "0.0.0.0:10249"\n'
            )
            data = (
                {"config": conf}
                if name == "kube-proxy-config"
                else {
                    "config.conf": conf,
                    "kubeconfig.conf": "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
                    "    server: https://10.0.0.1:6443\n  name: default\n",
                }
            )
        elif name == "kubeadm-config":
            data = {
                "ClusterConfiguration": (
                    "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n"
                    f"kubernetesVersion: v{self.spec.version.lstrip('v')}\nclusterName: {self.spec.name}\n"
                    "etcd:\n  local:\n    dataDir: /var/lib/etcd\n"
                    "networking:\n  dnsDomain: cluster.local\n  podSubnet: 10.64.0.0/10\n"
                    "  serviceSubnet: 10.96.0.0/12\n"
                )
            }
        elif name == "coredns":
            data = {
                "Corefile": ".:53 {\n    errors\n    health\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n"
                "    forward . /etc/resolv.conf\n    cache 30\n}\n"
            }
        else:
            data = {"settings.yaml": f"name: {name}\nreplicas: {1 + mix(self.seed, ns, j) % 5}\n", "LOG_LEVEL": "info"}
        return {"metadata": self._meta(_T_CM, ns, name, j), "data": data}

    def secret_name(self, ns: int, j: int) -> str:
        """Name of Secret ``j`` in ``ns``."""
        return f"app-{j:05d}-{('credentials', 'tls', 'registry')[mix(self.seed, _T_SEC, ns, j) % 3]}"

    def secret(self, ns: int, j: int) -> dict[str, Any]:
        """Secret ``j`` in ``ns``, with (synthetic) data a careful collector never asks for."""
        name = self.secret_name(ns, j)
        kind = name.rsplit("-", 1)[1]
        keys: tuple[str, ...]
        if kind == "tls":
            stype, keys = "kubernetes.io/tls", ("tls.crt", "tls.key")
        elif kind == "registry":
            stype, keys = "kubernetes.io/dockerconfigjson", (".dockerconfigjson",)
        else:
            stype, keys = "Opaque", ("username", "password")
        data = {key: self.c.secret_value(_T_SEC, ns, j, tag(key)) for key in keys}
        return {"metadata": self._meta(_T_SEC, ns, name, j), "type": stype, "data": data}

    # ------------------------------------------------------------------ events

    def event_name(self, ns: int, j: int) -> str:
        """Name of Event ``j`` in ``ns``: ``<object>.<hex>`` as the apiserver names them."""
        return f"app-{j:05d}.{mix(self.seed, _T_EV, ns, j) & 0xFFFFFFFFFFFFFFF:015x}"

    def event(self, ns: int, j: int) -> dict[str, Any]:
        """Event ``j`` in ``ns``."""
        name = self.event_name(ns, j)
        reason, etype, message = [
            ("Scheduled", "Normal", "Successfully assigned pod to node"),
            ("Pulled", "Normal", "Container image already present on machine"),
            ("BackOff", "Warning", "Back-off restarting failed container"),
            ("Unhealthy", "Warning", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
        ][mix(self.seed, _T_EV, ns, j, 1) % 4]
        when = self.c.created_at(_T_EV, ns, j)
        return {
            "metadata": self._meta(_T_EV, ns, name, j),
            "involvedObject": {
                "kind": "Pod",
                "namespace": self.c.namespaces[ns],
                "name": name.split(".")[0],
                "apiVersion": "v1",
            },
            "reason": reason,
            "message": message,
            "type": etype,
            "count": 1 + mix(self.seed, ns, j) % 20,
            "firstTimestamp": when,
            "lastTimestamp": when,
            "source": {"component": "kubelet"},
            "reportingComponent": "kubelet",
            "reportingInstance": "",
        }

    # ------------------------------------------------------------------ CRDs, webhooks, custom resources

    def crd(self, j: int) -> dict[str, Any]:
        """CustomResourceDefinition ``j``."""
        name = self.c.crd_names[j]
        plural, group = name.split(".", 1)
        kind, namespaced = self.c.crd_kind(name)
        version = self.c.crd_version(group, plural)
        schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
        return {
            "metadata": self._meta(_T_CRD, None, name, j, generation=1),
            "spec": {
                "group": group,
                "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                "scope": "Namespaced" if namespaced else "Cluster",
                "versions": [{"name": version, "served": True, "storage": True, "schema": schema}],
                "conversion": {"strategy": "None"},
            },
            "status": {
                "acceptedNames": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                "conditions": [
                    {
                        "type": "Established",
                        "status": "True",
                        "reason": "InitialNamesAccepted",
                        "message": "the initial names have been accepted",
                    }
                ],
                "storedVersions": [version],
            },
        }

    def webhook_config(self, kind_word: str, j: int) -> dict[str, Any]:
        """A validating or mutating webhook configuration with one or two webhooks."""
        name = self.c.webhooks[kind_word][j]
        owner = name.rsplit(f"-{kind_word}-webhook", 1)[0]
        h = mix(self.seed, _T_WH, tag(name))
        hooks = []
        for k in range(1 + h % 2):
            hook: dict[str, Any] = {
                "name": f"{k}.{owner}.example.com",
                "admissionReviewVersions": ["v1"],
                "clientConfig": {
                    "service": {"name": owner, "namespace": "kube-system", "path": f"/{kind_word}", "port": 443},
                    "caBundle": "LS0tLS1CRUdJTi==",
                },
                "failurePolicy": "Fail" if (h >> (k + 1)) % 3 else "Ignore",
                "matchPolicy": "Equivalent",
                "namespaceSelector": {},
                "objectSelector": {},
                "rules": [
                    {
                        "apiGroups": ["*"],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["pods"] if k == 0 else ["*"],
                        "scope": "*",
                    }
                ],
                "sideEffects": "None",
                "timeoutSeconds": self.spec.webhook_timeout_seconds
                if k == 0
                else max(1, self.spec.webhook_timeout_seconds // 2),
            }
            if kind_word == "mutating":
                hook["reinvocationPolicy"] = "Never"
            hooks.append(hook)
        return {"metadata": self._meta(_T_WH, None, name, tag(name), generation=1), "webhooks": hooks}

    def cilium_policy_spec(self, ns: int | None, h: int) -> dict[str, Any]:
        """A CiliumNetworkPolicy spec (``ns`` None: clusterwide) in the shapes of Cilium's own examples
        (cilium/cilium examples/policies): app-to-app ports, CIDR sets with except, entities, DNS and FQDN
        egress, L7 http rules, and a clusterwide monitoring allow."""
        if ns is None:  # clusterwide: every app-N pod takes scrapes from kube-system on 9090
            return {
                "endpointSelector": {"matchLabels": {"app": f"app-{h % 5:05d}"}},
                "ingress": [{
                    "fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system"}}],
                    "toPorts": [{"ports": [{"port": "9090", "protocol": "TCP"}]}],
                }],
            }  # fmt: skip
        deps = max(1, self.c.deployments_per_ns[ns])
        target = {"matchLabels": {"app": f"app-{h % deps:05d}"}}
        kind = (h >> 8) % 5
        if kind == 0:  # another app of the namespace on a port list
            rule = {
                "fromEndpoints": [{"matchLabels": {"app": f"app-{(h >> 12) % deps:05d}"}}],
                "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}, {"port": "8443", "protocol": "TCP"}]}],
            }
            return {"endpointSelector": target, "ingress": [rule]}
        if kind == 1:  # egress to CIDR sets with except
            octet = (h >> 12) % 256
            rule = {
                "toCIDRSet": [{"cidr": f"10.{octet}.0.0/16", "except": [f"10.{octet}.1.0/24"]}],
                "toCIDR": ["192.0.2.0/24"],
                "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}],
            }
            return {"endpointSelector": target, "egress": [rule]}
        if kind == 2:  # from outside the cluster and the node, any protocol
            rule = {"fromEntities": ["world", "host"], "toPorts": [{"ports": [{"port": "80", "protocol": "ANY"}]}]}
            return {"endpointSelector": target, "ingress": [rule]}
        if kind == 3:  # DNS through kube-dns with a DNS rule, then FQDN egress
            dns = {
                "toEndpoints": [
                    {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}}
                ],
                "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}}],
            }
            fqdn = {
                "toFQDNs": [{"matchName": "api.example.com"}],
                "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}],
            }
            return {"endpointSelector": target, "egress": [dns, fqdn]}
        other = self.c.namespaces[(h >> 12) % len(self.c.namespaces)]  # an L7 rule for another namespace's app
        rule = {
            "fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": other, "app": "app-00000"}}],
            "toPorts": [
                {
                    "ports": [{"port": "8080", "protocol": "TCP"}],
                    "rules": {"http": [{"method": "GET", "path": "/api/.*"}]},
                }
            ],
        }
        return {"endpointSelector": target, "ingress": [rule]}  # fmt: skip

    def cr_name(self, crd: str, ns: int, j: int) -> str:
        """Name of custom resource ``j`` of ``crd`` (only the CNI policy kinds and CiliumIdentity have items)."""
        if crd == IDENTITIES_CRD:  # the numeric identity; Cilium allocates cluster-local ones from 256
            return str(256 + j)
        return f"{_CR_PREFIXES.get(crd, 'item')}-{j:05d}"

    def cilium_identity(self, j: int) -> dict[str, Any]:
        """CiliumIdentity ``j`` in the shape Cilium's CRD allocator writes (cilium/cilium
        pkg/k8s/identitybackend/identity.go AllocateID): ``security-labels`` hold every label with its source
        prefix; ``metadata.labels`` the k8s ones without "k8s:", less the synthesised namespace labels."""
        ns, d = self.c.identity_namespace(j)
        namespace = self.c.namespaces[ns]
        if ns == self.c.kube_system:
            system = [name for name, _ in self.c.system_deployments] + list(self.c.daemonsets)
            own = {"k8s-app": system[d] if d < len(system) else f"system-{d:03d}"}
        else:
            own = {"app": f"app-{d:05d}"}
        labels = {**own, "io.cilium.k8s.policy.cluster": "default", "io.cilium.k8s.policy.serviceaccount": "default",
                  "io.kubernetes.pod.namespace": namespace}  # fmt: skip
        security = {f"k8s:{k}": v for k, v in labels.items()}
        security["k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name"] = namespace
        meta = self._meta(_T_CR, None, str(256 + j), tag(IDENTITIES_CRD), j, generation=1, labels=labels)
        return {"apiVersion": "cilium.io/v2", "kind": "CiliumIdentity", "metadata": meta,
                "security-labels": dict(sorted(security.items()))}  # fmt: skip

    def custom_resource(self, crd: str, ns: int, j: int) -> dict[str, Any]:
        """Custom resource ``j`` of ``crd``, served unstructured (kind and apiVersion on every item)."""
        if crd == IDENTITIES_CRD:
            return self.cilium_identity(j)
        plural, group = crd.split(".", 1)
        kind, namespaced = self.c.crd_kind(crd)
        name = self.cr_name(crd, ns, j)
        h = mix(self.seed, _T_CR, tag(crd), ns, j)
        meta = self._meta(_T_CR, ns if namespaced else None, name, tag(crd), j, generation=1)
        version = self.c.crd_version(group, plural)
        body: dict[str, Any] = {"apiVersion": f"{group}/{version}", "kind": kind, "metadata": meta}
        if group == "crd.projectcalico.org":
            rule = {"action": "Allow", "protocol": "TCP", "destination": {"ports": [443, 8443][: 1 + h % 2]}}
            body["spec"] = {
                "order": float(100 + h % 900),
                "selector": f"app == 'app-{h % 50:05d}'",
                "types": ["Ingress", "Egress"],
                "ingress": [rule],
                "egress": [rule],
            }
        elif group == "cilium.io":
            body["spec"] = self.cilium_policy_spec(ns if namespaced else None, h)
        else:
            body["spec"] = {}
        return body
