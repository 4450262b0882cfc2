"""``k8seval audit``: collect every configured source, score, and write the full report set in one go.

Rooms: :mod:`.config` (the configuration file: schema and validation), :mod:`.checks` (the files it
names, checked before collecting), :mod:`.run` (collect, merge, score, write) and :mod:`.sample` (the
built-in simulated sample behind ``--sample``).

Audit configuration (``k8seval.yaml``)
--------------------------------------

One YAML file names the sources to collect and where the results go. Every key is optional except that
at least one source must be listed. Relative paths are resolved against the folder of the file.

.. code-block:: yaml

    title: "Platform fit: payments estate"      # report title (default: "Platform fit: <cluster>")
    out: reports/payments                         # folder or s3:// gs:// prefix (default: reports/<YYYY-MM-DD>)
    targets: [self-hosted, eks, gke]              # default: the policy's targets, else all four
    policy: policy.yaml                           # thresholds, overrides, exclusions (k8seval score --policy)
    costs: costs.yaml                             # cost assumptions (default: the shipped assumptions)
    answers: [answers-eks.xlsx]                   # filled vendor question lists, scored in the report
    templates: my-templates                       # folder of templates overriding the shipped ones by name
    jurisdictions: [uk, eu]                       # regulation and data location of the vendor questions
    fail_on: at-risk                              # exit 1 when a finding reaches this (--fail-on wins)

    sources:
      kube:                                       # Kubernetes API, one entry per cluster
        - context: prod-eu-1                      # kubeconfig context (default: the current context)
          kubeconfig: ~/.kube/prod.yaml           # default: $KUBECONFIG / ~/.kube/config
          name: prod-eu-1                         # cluster name in the report (default: from the kubeconfig)
          platform: self-hosted                   # override detection: self-hosted | eks | gke | ...
      etcd:                                       # direct etcd reads, merged into that cluster's snapshot
        - cluster: prod-eu-1                      # the cluster name the kube source produces
          endpoints: [https://10.0.0.11:2379, https://10.0.0.12:2379]
          cacert: pki/etcd-ca.crt
          cert: pki/etcd-client.crt
          key: pki/etcd-client.key
      eks:                                        # Amazon EKS through boto3 (AWS_ENDPOINT_URL is honoured)
        - profile: bank-prod                      # AWS profile (default: the default credential chain)
          regions: [eu-west-2, eu-west-1]         # "all" for every enabled region
          clusters: [payments-eks]                # default: every cluster found
      gke:                                        # Google GKE through google-cloud-container
        - projects: [bank-prod-123]
          locations: [europe-west2]               # default: all locations ("-")
          clusters: [payments-gke]                # default: every cluster found
          endpoint: https://container.googleapis.com   # another API endpoint (PSC, an emulator)

A kube source whose cluster is also found by an EKS or GKE source is merged with it (the cloud view
plus the in-cluster view); an etcd source is merged into the kube snapshot of its ``cluster``.

Behaviour
---------

Before anything is collected, every file the configuration names is checked (:mod:`.checks`): the policy
and cost assumptions are loaded and validated, answer workbooks read, template folders compiled,
kubeconfigs parsed (and the context looked up), etcd certificate files opened. The first problem stops
the audit with exit code 2 and a message naming the file.

Sources are collected concurrently (a small thread pool). A source that fails (unreachable, no
credentials, access denied) becomes a warning in the terminal and a notice in the report; the audit
goes on. When nothing at all was collected the audit stops with exit code 3. Everything is written to
the output folder:

    report.html  report.md  findings.json  findings.csv  findings.xlsx  junit.xml  metrics.prom
    questions.xlsx (the buyer's copy: a sheet and a review sheet per vendor)
    questions-<vendor>.xlsx (one to send to each vendor)  snapshots/<platform>-<cluster>-<time>.json

With ``--fail-on LEVEL`` the exit code is 1 when any finding reaches LEVEL, after everything is written.

``--sample`` needs no configuration: it starts the built-in simulator with the ``bank`` profile on
127.0.0.1 and audits it over HTTP exactly as it would a real cluster. To show growth forecasts it also
collects the same simulated cluster scaled to 80% and 90% of its size, dated 180 and 90 days earlier;
the report says plainly that this is simulated history of a simulated cluster.
"""

from __future__ import annotations

from .checks import check_config
from .config import AuditConfig, EksSource, EtcdSource, GkeSource, KubeSource, load_config, parse_config
from .run import (
    REPORT_FILES,
    AuditResult,
    CollectionResult,
    Progress,
    build_context,
    collect_sources,
    default_out_dir,
    generate_vendor_questions,
    run_audit,
    score_answer_files,
    write_outputs,
)
from .sample import collect_sample, run_sample, scale_spec

__all__ = [
    "REPORT_FILES",
    "AuditConfig",
    "AuditResult",
    "CollectionResult",
    "EksSource",
    "EtcdSource",
    "GkeSource",
    "KubeSource",
    "Progress",
    "build_context",
    "check_config",
    "collect_sample",
    "collect_sources",
    "default_out_dir",
    "generate_vendor_questions",
    "load_config",
    "parse_config",
    "run_audit",
    "run_sample",
    "scale_spec",
    "score_answer_files",
    "write_outputs",
]
