"""The one exception tree of k8seval. Library code raises these; only ``cli.py`` maps them to exit codes.

    EvaluatorError
    ├── InputError          bad file or bad value given by the user            -> exit 2
    │   └── CatalogError    a constraint catalog or policy that does not validate -> exit 2
    ├── CollectorError      could not collect                                     -> exit 3
    │   ├── AuthError       no credentials, expired token
    │   ├── AccessDenied    the credentials work but may not read this
    │   └── EndpointError   unreachable endpoint, TLS failure, timeout
    ├── RenderError         a template failed to render                           -> exit 2
    └── GateTripped         a --fail-on gate was reached                          -> exit 1

Messages say what went wrong and what to do next, on one line.
"""

from __future__ import annotations


class EvaluatorError(Exception):
    """Base class of every error k8seval raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}. {self.hint}" if not self.message.endswith(".") else f"{self.message} {self.hint}"
        return self.message


class InputError(EvaluatorError):
    """A file or value given by the user is missing, unreadable or invalid."""

    exit_code = 2


class CatalogError(InputError):
    """The constraint catalog, a policy file or a question bank does not validate."""


class CollectorError(EvaluatorError):
    """A collector could not reach or read its source."""

    exit_code = 3


class AuthError(CollectorError):
    """No usable credentials (missing, expired or rejected)."""


class AccessDenied(CollectorError):
    """The credentials are valid but not allowed to read what was asked."""


class EndpointError(CollectorError):
    """The endpoint could not be reached: DNS, connection refused, TLS, timeout."""


class RenderError(EvaluatorError):
    """A report or question list could not be rendered."""

    exit_code = 2


class GateTripped(EvaluatorError):
    """A ``--fail-on`` gate was reached; the output was still written."""

    exit_code = 1
