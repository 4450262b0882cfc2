"""Fleet collection benchmark: EKS clusters across regions on a local moto server, sequential vs concurrent.

Seeds N clusters (each with one managed node group) spread over R regions of a ThreadedMotoServer on 127.0.0.1,
then times ``collect_eks`` (discovery + one snapshot per cluster) with ``concurrency=1`` and with the default.

    python benchmarks/bench_collect_eks.py                    # 200 clusters, 4 regions
    python benchmarks/bench_collect_eks.py --clusters 50 --regions 2 --concurrency 8 --concurrency 16
    python benchmarks/bench_collect_eks.py --latency-ms 0 --latency-ms 50

moto runs in this process, so the server's own work shares the GIL with the collector and caps the speed-up.
``--latency-ms`` adds a sleep before every request (a botocore "before-send" hook), standing in for the
round trip to a real AWS endpoint that concurrency overlaps.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.collectors.eks import collect_eks, default_session_factory  # noqa: E402

REGIONS = ["eu-west-1", "eu-west-2", "us-east-1", "us-west-2", "eu-central-1", "ap-southeast-1"]
ROLE = "arn:aws:iam::123456789012:role/eks"
TYPES = ["m5.large", "t3.medium", "m5.24xlarge", "c5.xlarge"]


def seed(url: str, clusters: int, regions: list[str]) -> None:
    """One VPC with two subnets per region; clusters spread round-robin, each with one node group."""
    subnets: dict[str, list[str]] = {}
    for region in regions:
        ec2 = boto3.client("ec2", region_name=region, endpoint_url=url)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets[region] = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/20", AvailabilityZone=f"{region}{'ab'[i % 2]}")[
                "Subnet"
            ]["SubnetId"]
            for i in (0, 16)
        ]
    eks = {region: boto3.client("eks", region_name=region, endpoint_url=url) for region in regions}
    for i in range(clusters):
        region = regions[i % len(regions)]
        name = f"cluster-{i:03d}"
        eks[region].create_cluster(
            name=name, version="1.30", roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets[region]}
        )
        eks[region].create_nodegroup(
            clusterName=name,
            nodegroupName="general",
            nodeRole=ROLE,
            subnets=subnets[region][:1],
            instanceTypes=[TYPES[i % len(TYPES)]],
            version="1.30",
            scalingConfig={"minSize": 1, "maxSize": 10, "desiredSize": 3},
        )


def session_factory(latency: float) -> Callable[[str | None], boto3.Session]:
    """Sessions whose clients wait ``latency`` seconds before each request."""

    def wait(**_: object) -> None:
        time.sleep(latency)

    def factory(profile: str | None) -> boto3.Session:
        session = default_session_factory(profile)
        if latency:
            session.events.register("before-send", wait)
        return session

    return factory


def run(regions: list[str], concurrency: int, latency: float) -> tuple[float, int, int, int]:
    """(seconds, snapshots, node groups with max pods, total requests) for one collection."""
    started = time.perf_counter()
    snapshots, gaps = collect_eks(session_factory(latency), regions, concurrency=concurrency)
    elapsed = time.perf_counter() - started
    with_pods = sum(1 for s in snapshots for g in (s.cloud.node_groups if s.cloud else []) if g.max_pods_per_node)
    requests = sum(s.collection.requests or 0 for s in snapshots)
    if gaps:
        print(f"  fleet gaps: {len(gaps)} (first: {gaps[0].item}: {gaps[0].reason})")
    return elapsed, len(snapshots), with_pods, requests


def main() -> None:
    """Parse options, start moto, seed, and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--regions", type=int, default=4, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--concurrency", type=int, action="append", help="concurrent runs to time (default: 8)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per setting; the median is printed")
    parser.add_argument(
        "--latency-ms", type=float, action="append", help="added round trip per request (repeatable; default 0)"
    )
    args = parser.parse_args()
    regions = REGIONS[: args.regions]
    settings = [1, *(args.concurrency or [8])]

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=regions[0])
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    # moto answers HTTP 500 to ListServiceQuotas (not implemented), once per region; with the collector's 10
    # attempts the back-off alone would add about a minute to every run. Both runs get the same setting.
    os.environ.setdefault("AWS_MAX_ATTEMPTS", "2")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = url
    try:
        started = time.perf_counter()
        seed(url, args.clusters, regions)
        print(f"seeded {args.clusters} clusters in {len(regions)} regions in {time.perf_counter() - started:.1f} s")
        for latency_ms in args.latency_ms or [0.0]:
            print(f"-- added latency per request: {latency_ms:g} ms")
            results = {}
            for concurrency in settings:
                timings = []
                for _ in range(args.repeat):
                    elapsed, count, with_pods, requests = run(regions, concurrency, latency_ms / 1000)
                    timings.append(elapsed)
                results[concurrency] = statistics.median(timings)
                label = "sequential (concurrency=1)" if concurrency == 1 else f"concurrent (concurrency={concurrency})"
                print(
                    f"{label:<30} {results[concurrency]:7.2f} s  {count} snapshots, {with_pods} node groups with "
                    f"max pods, {requests} requests ({count / results[concurrency]:.1f} clusters/s)"
                )
            for concurrency in settings[1:]:
                print(f"speed-up at concurrency={concurrency}: {results[1] / results[concurrency]:.1f}x")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
