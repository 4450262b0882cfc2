"""Trade-offs: what each target takes away or gives beyond the numeric limits, with sources."""

from __future__ import annotations

from typing import Any

# What each target takes away or gives, beyond the numeric limits. Facts from the sources cited per row
# (checked November 2026; the reference sheet shared with the catalog, sections 3.3, 3.7, 3.8, 4.4-4.7, 6.2).
TRADEOFFS: list[dict[str, Any]] = [
    {
        "aspect": "etcd access",
        "values": {
            "self-hosted": "Full: read keys, defragment, snapshot and restore, "
            "set --quota-backend-bytes (default 2 GiB).",
            "eks": "None; AWS runs etcd. Database limit 8 GiB on the Standard control plane, 16 GB on Provisioned.",
            "gke": "None; Google runs etcd. The size limit is not published as a number; GKE raises an "
            "ETCD_DB_USAGE_APPROACHING_LIMIT insight.",
            "gke-autopilot": "None, as GKE Standard.",
        },
        "source": "https://docs.aws.amazon.com/eks/latest/best-practices/scale-control-plane.html",
    },
    {
        "aspect": "Control-plane flags",
        "values": {
            "self-hosted": "Any apiserver, controller-manager, scheduler and etcd flag, "
            "feature gates and admission plugins.",
            "eks": "Upstream defaults. From 1.31 only a few settings: scheduler scoring strategy, eventTtl, "
            "serviceNodePortRange, HPA sync period (Provisioned only). Alpha features are not supported.",
            "gke": "Not customer-configurable; features are turned on through cluster options.",
            "gke-autopilot": "Not customer-configurable; Google also manages nodes and their settings.",
        },
        "source": "https://docs.aws.amazon.com/eks/latest/userguide/control-plane-configuration.html",
    },
    {
        "aspect": "Upgrades and support window",
        "values": {
            "self-hosted": "About 14 months of upstream patches per minor version; no extended support. "
            "Upgrading every few months is the operator's job.",
            "eks": "14 months standard support, then 12 months extended "
            "(on by default, $0.60 per cluster-hour in total). "
            "After extended support the control plane is upgraded automatically.",
            "gke": "About 14 months standard plus about 10 months on the Extended channel. "
            "Automatic control-plane upgrades; forced upgrades at end of support.",
            "gke-autopilot": "Must be enrolled in a release channel; automatic upgrades of control plane and nodes.",
        },
        "source": "https://cloud.google.com/kubernetes-engine/docs/concepts/release-channels",
    },
    {
        "aspect": "Control-plane fee",
        "values": {
            "self-hosted": "No fee; you pay for control-plane machines, etcd disks and the people who run them.",
            "eks": "$0.10 per cluster-hour in standard support; $0.60 in extended support.",
            "gke": "$0.10 per cluster-hour; a $74.40 monthly credit per billing account.",
            "gke-autopilot": "$0.10 per cluster-hour; workloads billed per Pod resource request.",
        },
        "source": "https://cloud.google.com/kubernetes-engine/pricing",
    },
    {
        "aspect": "Control-plane availability",
        "values": {
            "self-hosted": "What you build and operate; no third-party SLA.",
            "eks": "Vendor SLA; 99.99% in 1-minute intervals with the Provisioned Control Plane.",
            "gke": "99.95% for regional clusters; 99.5% for zonal clusters.",
            "gke-autopilot": "99.95% control plane; 99.9% for Pods spread over several zones.",
        },
        "source": "https://cloud.google.com/kubernetes-engine/sla",
    },
    {
        "aspect": "Pods per node",
        "values": {
            "self-hosted": "Your choice (kubelet default 110).",
            "eks": "Set by the VPC CNI from the instance type's network interfaces, unless prefix delegation is used.",
            "gke": "Up to 256 (default 110), fixed when the node pool is created.",
            "gke-autopilot": "Preset by Google (32 in the versions documented); not configurable.",
        },
        "source": "https://cloud.google.com/kubernetes-engine/docs/how-to/flexible-pod-cidr",
    },
]
