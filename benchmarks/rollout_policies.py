"""Write a planned NetworkPolicy rollout for a simulator profile, for ``--with-policies`` what-ifs: in every
application namespace a default deny plus one allow policy per app (same-namespace clients on 8080/8443,
metrics scraping from the pod range on 9100, DNS egress). One YAML file per namespace.

    python benchmarks/rollout_policies.py --profile bank --out /tmp/rollout
    k8seval audit --sample --with-policies /tmp/rollout --out reports/rollout
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.simulator import profile  # noqa: E402
from evaluator.simulator.served import Cluster  # noqa: E402


def rollout(name: str) -> dict[str, list[dict]]:
    """Planned policies per namespace for profile ``name``."""
    cluster = Cluster(profile(name))
    out: dict[str, list[dict]] = {}
    for ns_index, ns in enumerate(cluster.namespaces):
        deps = cluster.deployments_per_ns[ns_index]
        if not deps:
            continue
        docs = [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "rollout-default-deny", "namespace": ns},
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}]  # fmt: skip
        for d in range(deps):
            app = f"app-{d:05d}"
            docs.append({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"rollout-allow-{app}", "namespace": ns},
                "spec": {
                    "podSelector": {"matchLabels": {"app": app}},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [
                        {"from": [{"podSelector": {}}],
                         "ports": [{"protocol": "TCP", "port": 8080}, {"protocol": "TCP", "port": 8443}]},
                        {"from": [{"ipBlock": {"cidr": "100.64.0.0/10"}}],
                         "ports": [{"protocol": "TCP", "port": 9100}]},
                    ],
                    "egress": [
                        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                 "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                         "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                    ],
                },
            })  # fmt: skip
        out[ns] = docs
    return out


def main() -> None:
    """Write the rollout folder and print its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="bank")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for ns, docs in rollout(args.profile).items():
        (args.out / f"{ns}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
        total += len(docs)
    print(f"wrote {total:,} NetworkPolicies to {args.out}/")


if __name__ == "__main__":
    main()
