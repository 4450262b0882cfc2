"""``k8seval simulate``: serve a synthetic cluster on 127.0.0.1 until interrupted."""

from __future__ import annotations

import dataclasses
import signal
import threading
import time
from pathlib import Path

import click

from ..errors import InputError


@click.command(name="simulate")
@click.option(
    "--profile",
    "profile_name",
    type=click.Choice(["small", "bank", "large"]),
    default=None,
    help="A shipped cluster profile (default: small).",
)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A cluster spec YAML file instead of a profile.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option(
    "--kubeconfig-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a kubeconfig for the server here.",
)
@click.option("--seed", type=int, default=None, help="Override the spec's seed (same seed, same objects).")
@click.option("--token", default=None, help="Require this bearer token (written into the kubeconfig).")
@click.option(
    "--tls",
    "tls_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Serve HTTPS: write a new CA and serving certificate (ca.crt, server.crt, server.key; with --token also "
    "token and namespace, a service-account folder) into this folder; the kubeconfig carries the CA.",
)
def command(
    profile_name: str | None,
    spec_path: Path | None,
    port: int,
    kubeconfig_out: Path | None,
    seed: int | None,
    token: str | None,
    tls_dir: Path | None,
) -> None:
    """Serve a synthetic Kubernetes API (kubectl and the kubernetes client work against it).

    The server runs in the foreground until Ctrl-C or SIGTERM. It prints its URL and, with
    --kubeconfig-out, the kubeconfig path. With --tls DIR it serves HTTPS with a CA made for the run;
    with --token it answers 401 to requests without that bearer token.

    \b
    Example:
      k8seval simulate --profile bank --kubeconfig-out sim.kubeconfig &
      kubectl --kubeconfig sim.kubeconfig get pods -A --chunk-size=500 | wc -l
      k8seval simulate --tls sa/ --token s3cret --kubeconfig-out kc &
      kubectl --kubeconfig kc get nodes    # or: --server URL --certificate-authority sa/ca.crt --token s3cret
    """
    from ..simulator import Simulator, load_spec, profile

    if profile_name and spec_path:
        raise InputError("give either --profile or --spec, not both")
    spec = load_spec(spec_path) if spec_path else profile(profile_name or "small")
    if seed is not None:
        spec = dataclasses.replace(spec, seed=seed)
    tls = None
    if tls_dir is not None:
        from ..simulator.tls import make_tls_files

        tls = make_tls_files(tls_dir, token=token)
    sim = Simulator(spec, port=port, token=token, tls=tls)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    sim.start()  # an unusable port raises here, before the SIGTERM handler is swapped
    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        counts = sim.expected_counts()
        click.echo(
            f"Serving cluster {spec.name!r} (Kubernetes {spec.version}, {counts['nodes']:,} nodes, "
            f"{counts['pods']:,} pods) at {sim.url}"
        )
        if tls is not None:
            click.echo(f"CA: {tls.ca_file}" + (f" (service-account folder: {tls_dir})" if token is not None else ""))
        if kubeconfig_out:
            sim.write_kubeconfig(kubeconfig_out)
            click.echo(f"Kubeconfig: {kubeconfig_out}")
        click.echo("Press Ctrl-C to stop.")
        while not stop.is_set():
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        signal.signal(signal.SIGTERM, previous)
    click.echo(f"Stopped after {sim.request_count:,} requests.")
