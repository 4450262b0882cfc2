"""A loopback Kubernetes API server serving a synthetic cluster generated from a spec (tests, benchmarks, demos).

``spec`` (the YAML spec and profiles) -> ``cluster`` (the layout: nodes, namespaces, placement) ->
``objects`` (object builders over the layout) -> ``served`` (the layout plus one collection per
resource) -> ``server`` (HTTP: discovery, lists, Tables, /metrics, faults). ``truth`` states what a
correct collector must measure.

from evaluator.simulator import Faults, Simulator, profile
with Simulator(profile("small"), faults=Faults(throttle_first={"/api/v1/pods": 1})) as sim:
    sim.write_kubeconfig("kc")
"""

from __future__ import annotations

from .server import Faults, RequestRecord
from .simulator import Simulator, TLSFiles
from .spec import PROFILES, ClusterSpec, NodePool, load_spec, parse_spec, profile

__all__ = [
    "PROFILES",
    "ClusterSpec",
    "Faults",
    "NodePool",
    "RequestRecord",
    "Simulator",
    "TLSFiles",
    "load_spec",
    "parse_spec",
    "profile",
]
