"""EKS pods-per-node arithmetic: the Amazon VPC CNI ENI formula, prefix delegation and the managed-node-group caps.

Pure functions over EC2 ``DescribeInstanceTypes`` data, so they can be tested without any client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Managed node groups without a custom AMI cap maxPods at 110 (<= 30 vCPU) or 250 (more), "based on internal
# Amazon EKS scalability team testing": EKS user guide, choosing-instance-type ("How maxPods is determined");
# the same ceilings are MAX_POD_CEILING_FOR_LOW_CPU / _HIGH_CPU in amazon-eks-ami max-pods-calculator.sh.
LOW_CPU_CAP = 110
HIGH_CPU_CAP = 250
LOW_CPU_MAX_VCPUS = 30

# One prefix-delegation slot holds a /28, i.e. 16 IPv4 addresses (BPG networking/prefix-mode_linux).
PREFIX_SIZE = 16


@dataclass(frozen=True)
class InstanceNetwork:
    """The network facts of one EC2 instance type that decide how many pods the VPC CNI can address."""

    instance_type: str
    vcpus: int
    enis: int  # ENIs of the *default* network card (not NetworkInfo.MaximumNetworkInterfaces)
    ipv4_per_eni: int
    nitro: bool  # Nitro hypervisor or bare metal: needed for prefix delegation


def instance_network(data: dict[str, Any]) -> InstanceNetwork:
    """Build :class:`InstanceNetwork` from one ``DescribeInstanceTypes`` ``InstanceTypes[]`` entry.

    The ENI count is the default network card's ``MaximumNetworkInterfaces`` (p5.48xlarge: 2 on card 0, 64 in
    total), as amazon-eks-ami nodeadm/internal/kubelet/eni_max_pods.go does; older data without per-card
    entries falls back to ``NetworkInfo.MaximumNetworkInterfaces``.
    """
    net = data.get("NetworkInfo") or {}
    enis = net.get("MaximumNetworkInterfaces")
    default_card = net.get("DefaultNetworkCardIndex", 0)
    for card in net.get("NetworkCards") or []:
        if card.get("NetworkCardIndex") == default_card and card.get("MaximumNetworkInterfaces") is not None:
            enis = card["MaximumNetworkInterfaces"]
            break
    return InstanceNetwork(
        instance_type=data["InstanceType"],
        vcpus=int((data.get("VCpuInfo") or {}).get("DefaultVCpus") or 0),
        enis=int(enis or 0),
        ipv4_per_eni=int(net.get("Ipv4AddressesPerInterface") or 0),
        nitro=data.get("Hypervisor") == "nitro" or bool(data.get("BareMetal")),
    )


def compute_max_pods(
    net: InstanceNetwork,
    *,
    prefix_delegation: bool = False,
    custom_networking: bool = False,
    managed_cap: bool = True,
) -> tuple[int, str]:
    """Pods per node the VPC CNI allows on ``net``, and a one-line explanation of the arithmetic.

    Secondary-IP mode: ``ENIs x (IPv4 per ENI - 1) + 2`` (the first address of each ENI is the ENI's own; the
    +2 are the host-network pods aws-node and kube-proxy). Prefix delegation (Nitro only):
    ``ENIs x ((IPv4 per ENI - 1) x 16) + 2``. Custom networking leaves the primary ENI out. A managed node
    group without a custom AMI then caps the value at 110 (<= 30 vCPU) or 250. Sources: amazon-eks-ami
    eni_max_pods.go and max-pods-calculator.sh; EKS user guide choosing-instance-type.

    >>> compute_max_pods(InstanceNetwork("m5.large", 2, 3, 10, True))
    (29, 'eni: 3 x (10-1) + 2 = 29')
    """
    enis = net.enis - 1 if custom_networking else net.enis
    eni_text = f"({net.enis}-1)" if custom_networking else f"{net.enis}"
    slots = net.ipv4_per_eni - 1
    note = ""
    if prefix_delegation and net.nitro:
        raw = enis * (slots * PREFIX_SIZE) + 2
        basis = f"prefix delegation: {eni_text} x (({net.ipv4_per_eni}-1) x {PREFIX_SIZE}) + 2 = {raw}"
    else:
        raw = enis * slots + 2
        basis = f"eni: {eni_text} x ({net.ipv4_per_eni}-1) + 2 = {raw}"
        if prefix_delegation:
            note = " (prefix delegation needs a Nitro instance; secondary-IP mode applies)"
    if custom_networking:
        basis += " with custom networking (primary ENI unused)"
    basis += note
    if not managed_cap:
        return raw, basis
    cap = LOW_CPU_CAP if net.vcpus <= LOW_CPU_MAX_VCPUS else HIGH_CPU_CAP
    if raw > cap:
        relation = "<=" if net.vcpus <= LOW_CPU_MAX_VCPUS else ">"
        return cap, f"{basis}; managed node group cap {cap} ({net.vcpus} vCPU {relation} {LOW_CPU_MAX_VCPUS})"
    return raw, basis
