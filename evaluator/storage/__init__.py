"""Where snapshots and outputs live: local paths, ``s3://bucket/prefix/`` (boto3) and ``gs://bucket/prefix/``
(google-cloud-storage). Writes are atomic and never replace another cluster's snapshot; reads stream listings
and objects with bounded memory and bounded concurrency.

Settings come from the environment, so the same command works on a laptop and in a CronJob:
``AWS_PROFILE`` / ``K8SEVAL_S3_PROFILE``, ``AWS_ENDPOINT_URL`` (``_S3``), ``K8SEVAL_S3_SSE`` (``AES256`` or
``aws:kms``), ``K8SEVAL_S3_KMS_KEY_ID``; Application Default Credentials and ``K8SEVAL_GCS_ENDPOINT`` /
``STORAGE_EMULATOR_HOST`` for GCS.
"""

from .location import Location, is_remote, parse_location
from .snapshots import (
    cluster_folder,
    cluster_id,
    forget_stores,
    iter_inputs,
    open_store,
    publish_folder,
    read_document,
    read_snapshots,
    snapshot_key,
    write_file,
    write_snapshot,
)

__all__ = [
    "Location",
    "cluster_folder",
    "cluster_id",
    "forget_stores",
    "is_remote",
    "iter_inputs",
    "open_store",
    "publish_folder",
    "parse_location",
    "read_document",
    "read_snapshots",
    "snapshot_key",
    "write_file",
    "write_snapshot",
]
