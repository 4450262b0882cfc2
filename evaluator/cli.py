"""The ``k8seval`` command line: thin click commands that call the library and map errors to exit codes.

Exit codes: 0 success; 1 a ``--fail-on`` gate tripped; 2 bad usage or bad input; 3 could not collect.
A user never sees a traceback unless ``--debug`` (or ``K8SEVAL_DEBUG=1``) is given.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import Any


def _interrupted_at_start_up(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C while the modules load (that takes seconds on a loaded machine): nothing is open or written yet, so
    end at once and quietly, as Ctrl-C does later. Only a signal before this module runs meets Python's own."""
    os.write(2, b"k8seval: interrupted\n")
    os._exit(130)


# In force until the commands are registered (the end of this module), then the previous handler is back. Only the
# main thread may set a handler: an import from another thread keeps Python's.
_START_UP_HANDLED = threading.current_thread() is threading.main_thread()
_handler_before_start_up = signal.signal(signal.SIGINT, _interrupted_at_start_up) if _START_UP_HANDLED else None

import click  # noqa: E402

from . import __version__  # noqa: E402
from .errors import EvaluatorError  # noqa: E402

INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug in k8seval, not in the input


def _debug_wanted(ctx: click.Context | None) -> bool:
    if os.environ.get("K8SEVAL_DEBUG", "") not in ("", "0"):
        return True
    root = ctx.find_root() if ctx else None
    return bool(root and isinstance(root.obj, dict) and root.obj.get("debug"))


class K8sevalGroup(click.Group):
    """A click group that turns library errors into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvaluatorError as exc:
            if _debug_wanted(ctx):
                raise
            click.echo(f"k8seval: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("k8seval: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug: say so in one line, keep the traceback for --debug
            if _debug_wanted(ctx):
                raise
            click.echo(
                f"k8seval: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)", err=True
            )
            ctx.exit(INTERNAL_ERROR)


@click.group(cls=K8sevalGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="k8seval")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Measure Kubernetes clusters against the documented limits of self-hosting, Amazon EKS and Google GKE.

    \b
    Stages (each writes a file the next one reads):
      collect    measure a cluster (Kubernetes API, etcd, EKS, GKE) into a snapshot
      score      check snapshots against the limits catalog, per target
      report     HTML / Markdown / JSON / CSV / XLSX / JUnit vendor comparison
      questions  procurement question list from the measured facts
      audit      all of the above in one go
      diff       what changed between two audits

    \b
    Example:
      k8seval audit --sample --out reports/sample
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _register() -> None:
    from .commands import (
        audit,
        catalog,
        collect,
        diff,
        history,
        monitoring,
        prices,
        questions,
        report,
        score,
        simulate,
    )

    for module in (collect, simulate, score, report, questions, diff, audit, catalog, prices, history, monitoring):
        cli.add_command(module.command)


_register()
if _START_UP_HANDLED:
    signal.signal(signal.SIGINT, _handler_before_start_up or signal.default_int_handler)


def _on_signal(signum: int, frame: Any) -> None:
    """Ctrl-C and SIGTERM: stop collections in flight, then unwind (atomic writes delete their temp files)."""
    kube_client = sys.modules.get("evaluator.collectors.kube_client")
    if kube_client is not None:
        kube_client.cancel_all()
    if signum == signal.SIGTERM:
        sys.stderr.write("k8seval: terminated\n")
        raise SystemExit(128 + signum)
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        code = cli.main(prog_name="k8seval")
    except KeyboardInterrupt:
        sys.stderr.write("k8seval: interrupted\n")
        code = 130
    finally:
        fileio = sys.modules.get("evaluator.fileio")
        if fileio is not None:
            fileio.remove_temp_files()  # a signal that landed where no clean-up could run
    sys.exit(code)
