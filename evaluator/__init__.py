"""k8seval: measure Kubernetes clusters against the documented limits of self-hosting, EKS and GKE.

One package per stage; a test (tests/test_layout.py) holds the walls between them:

- shared core (top-level modules): ``inventory`` (the snapshot), ``findings`` (findings and evaluations),
  ``errors``, ``typed``, ``fileio``, ``units``, ``resources``, and ``merge`` (views of one cluster merged
  into one snapshot);
- ``collectors/``: the only code that talks to clusters and clouds;
- ``simulator/``: a loopback Kubernetes API server for tests, benchmarks and the sample;
- ``catalog/``: the documented limits as data, with their model and loader (imports nothing from scoring);
- ``scoring/``: findings, forecasts and costs from snapshots and the catalog;
- ``reporting/``: one Jinja environment, the report context by section, the output formats;
- ``procurement/``: question banks, facts, selection, sheets in and out, answer scoring;
- ``audit/``: the configuration file, the end-to-end run, the built-in sample;
- ``cli.py`` and ``commands/``: thin click commands (the only code that imports click).

scoring/, reporting/, procurement/ and catalog/ never import collectors/, simulator/ or a cloud or
Kubernetes SDK; collectors/ never import a later stage; no two packages import each other.
"""

__version__ = "0.1.0"
