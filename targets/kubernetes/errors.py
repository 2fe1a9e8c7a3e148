"""The one Kubernetes failure, ClusterError, and the translation of the client's failures into it.

Every message names the API server and says what was being done; it never carries the credentials. Importing
ClusterError does not load the kubernetes client: web workers catch it without paying for it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import urllib3

from targets.errors import TargetError

if TYPE_CHECKING:
    from kubernetes.client.exceptions import ApiException

MESSAGE_CAP = 300  # characters of a server's own error message quoted to people


class ClusterError(TargetError):
    """The cluster could not be used: not loaded, down, refused, timed out, denied, not found. status is the HTTP
    status behind it, when the server answered (a 409 is worth a retry, a 404 may mean "already gone")."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


def server_message(exc: ApiException) -> str:
    """The API server's own explanation (the Status object's message), else the HTTP reason."""
    text = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
    try:
        message = json.loads(text or "").get("message") or ""
    except (ValueError, AttributeError):
        message = ""
    message = message or exc.reason or ""
    return first_line(str(message))[:MESSAGE_CAP]


def translate(exc: Exception, *, server: str, timeout: int, doing: str, not_found: str | None = None) -> ClusterError:
    """A ClusterError with a message for people: who failed (the API server), how, and while doing what."""
    from kubernetes.client.exceptions import ApiException  # imported on use, as all of the client

    where = f"Kubernetes API at {server}"
    if isinstance(exc, ApiException):
        status = exc.status or 0
        if status == 0:  # the client's own wrapper for TLS failures and unreadable responses
            return ClusterError(f"{where} could not be used while {doing}: {one_line(str(exc.reason or ''))}")
        if status == 401:
            return ClusterError(f"{where} rejected the credentials (401 Unauthorized) while {doing}: "
                                "check the target's token or kubeconfig", status=status)
        if status == 403:
            return ClusterError(f"{where} does not allow {doing} (403 Forbidden): {server_message(exc)}",
                                status=status)
        if status == 404:
            return ClusterError(not_found or f"{where} found nothing while {doing} (404 Not Found)", status=status)
        reason = f"{status} {exc.reason}" if exc.reason else str(status)
        return ClusterError(f"{where} answered {reason} while {doing}: {server_message(exc)}", status=status)
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return translate(exc.reason, server=server, timeout=timeout, doing=doing, not_found=not_found)
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return ClusterError(f"{where}: the host name could not be resolved")
    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # before its parent ConnectTimeoutError
        if _refused(exc):
            return ClusterError(f"{where} refused the connection (is the server up and the port right?)")
        return ClusterError(f"{where} could not be reached: {_connection_reason(exc)}")
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return ClusterError(f"{where} did not answer within {timeout} s while {doing}")
    if isinstance(exc, urllib3.exceptions.SSLError):
        return ClusterError(f"{where}: the TLS handshake failed ({one_line(str(exc))})")
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return ClusterError(f"{where} closed the connection while {doing}")
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return ClusterError(f"{where} could not be used while {doing}: {type(exc).__name__}")
    return ClusterError(f"{where} sent a response the client could not read while {doing}")


def _refused(exc: Exception) -> bool:
    return isinstance(exc.__context__, ConnectionRefusedError) or "refused" in str(exc).lower()


def _connection_reason(exc: Exception) -> str:
    cause = exc.__context__ or exc.__cause__
    return type(cause).__name__ if cause is not None else type(exc).__name__


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def one_line(text: str) -> str:
    return " ".join(text.split())[:MESSAGE_CAP]
