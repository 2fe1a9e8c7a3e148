"""A Kubernetes API client for one Target, and the translation of its failures into messages for people.

Every call goes through KubeSession.call so that it carries the target's timeout and any failure (down, refused,
timed out, denied, not found) becomes a CheckError that names the API server and says what was being done.
The bearer token goes into the client's configuration only: it is never logged nor put into a message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import urllib3
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from diagnostics.checks.base import CheckError
from targets.secrets import scrub

T = TypeVar("T")

DEFAULT_TIMEOUT = 5  # seconds, when a target has none (the client refuses 0)
MESSAGE_CAP = 300  # characters of a server's own error message quoted to people


def timeout_of(target) -> int:
    """The per-call timeout in seconds; never zero, because the client would then wait forever."""
    return target.timeout_seconds if target.timeout_seconds and target.timeout_seconds > 0 else DEFAULT_TIMEOUT


def _configuration(target) -> client.Configuration:
    """A fresh Configuration (never the process-wide default) from the URL and token, the kubeconfig or the pod."""
    cfg = client.Configuration()
    if target.url:
        cfg.host = target.url.rstrip("/")
        token = target.secret()
        if token:
            cfg.api_key = {"BearerToken": token}
            cfg.api_key_prefix = {"BearerToken": "Bearer"}
    else:
        try:
            if target.in_cluster:
                config.load_incluster_config(client_configuration=cfg)
            elif target.kubeconfig:
                config.load_kube_config(config_file=target.kubeconfig, context=target.kube_context or None,
                                        client_configuration=cfg, persist_config=False)
            else:
                found = find_kubeconfig()
                config.load_kube_config(config_file=os.pathsep.join(found.files),
                                        context=target.kube_context or found.context or None,
                                        client_configuration=cfg, persist_config=False)
        except Exception as exc:  # ConfigException, OSError, YAML and key errors: any of them means "cannot load"
            kubeconfig = target.kubeconfig or kubectl_source()
            source = "the pod's service account" if target.in_cluster else f"kubeconfig {kubeconfig}"
            context = f" (context {target.kube_context})" if target.kube_context and not target.in_cluster else ""
            raise CheckError(f"Could not load {source}{context}: {_one_line(str(exc))}") from None
    # urllib3 would otherwise retry a timed-out GET three times: one try must fit in the target's timeout.
    cfg.retries = False
    return cfg


@dataclass(frozen=True)
class Kubeconfig:
    """What kubectl would use without flags: its files, their current context and that context's namespace."""

    files: list[str]
    context: str
    namespace: str


def kubectl_source() -> str:
    """Where kubectl looks, for messages: $KUBECONFIG's list when set, else ~/.kube/config."""
    listed = os.environ.get("KUBECONFIG", "")
    return f"KUBECONFIG={listed} or ~/.kube/config" if listed else "~/.kube/config"


def find_kubeconfig() -> Kubeconfig:
    """kubectl's rules: the existing files of $KUBECONFIG (a path list), else ~/.kube/config; merged with the first
    file that sets a value winning. The client merges named entries that way but lets the last file's
    current-context win, so the context is chosen here and passed to it."""
    listed = [os.path.expanduser(p) for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    files = [p for p in dict.fromkeys(listed) if os.path.isfile(p)]
    if not files:
        home = os.path.expanduser(os.path.join("~", ".kube", "config"))
        files = [home] if os.path.isfile(home) else []
    if not files:
        raise config.ConfigException("no such file")
    loaded = [_load(path) for path in files]
    context = next((c["current-context"] for c in loaded if c.get("current-context")), "")
    entry = next((e.get("context") or {} for c in loaded for e in c.get("contexts") or []
                  if e.get("name") == context), {})
    return Kubeconfig(files=files, context=context, namespace=entry.get("namespace") or "default")


def _load(path: str) -> dict:
    # From the open file, not its text: PyYAML quotes a snippet of a string it cannot parse, and this file holds
    # tokens that an error message must not carry to a run's error.
    with open(path) as f:
        return yaml.safe_load(f) or {}


def api_client(target) -> client.ApiClient:
    """An ApiClient for this target alone; the caller closes it (KubeSession does)."""
    return client.ApiClient(configuration=_configuration(target))


class KubeSession:
    """One target's API client and the typed API groups the checks need; use it as a context manager."""

    def __init__(self, target):
        self.target = target
        self.timeout = timeout_of(target)
        self.api = api_client(target)
        self.server = self.api.configuration.host
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)

    def __enter__(self) -> KubeSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.api.close()

    @contextmanager
    def _translated(self, doing: str, not_found: str | None) -> Iterator[None]:
        try:
            yield
        except (ApiException, urllib3.exceptions.HTTPError, ValueError) as exc:
            error = translate(exc, server=self.server, timeout=self.timeout, doing=doing, not_found=not_found)
            raise self._scrubbed(error) from exc

    def _scrubbed(self, error: CheckError) -> CheckError:
        """Belt and braces: should a server ever echo the credentials, they still never reach a message."""
        keys = (self.api.configuration.api_key or {}).values()
        tokens = [str(value).removeprefix("Bearer ").strip() for value in keys]
        return CheckError(scrub(str(error), *(token for token in tokens if len(token) >= 8)))

    def call(self, fn: Callable[..., T], *args: Any, doing: str, not_found: str | None = None, **kwargs: Any) -> T:
        """Call one API method with the target's timeout; failures become a CheckError naming the server."""
        with self._translated(doing, not_found):
            return fn(*args, _request_timeout=self.timeout, **kwargs)

    def read(self, fn: Callable[..., Any], *args: Any, cap: int, doing: str, not_found: str | None = None,
             **kwargs: Any) -> bytes:
        """Call a method answering raw text (pod logs) and read at most cap + 1 bytes of it, so a server that
        ignores limitBytes cannot fill our memory; more than cap bytes back means the text was cut."""
        with self._translated(doing, not_found):
            response = fn(*args, _request_timeout=self.timeout, _preload_content=False, **kwargs)
            try:
                return response.read(cap + 1)
            finally:
                response.close()


def server_message(exc: ApiException) -> str:
    """The API server's own explanation (the Status object's message), else the HTTP reason."""
    text = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
    try:
        message = json.loads(text or "").get("message") or ""
    except (ValueError, AttributeError):
        message = ""
    message = message or exc.reason or ""
    return _first_line(str(message))[:MESSAGE_CAP]


def translate(exc: Exception, *, server: str, timeout: int, doing: str, not_found: str | None = None) -> CheckError:
    """A CheckError with a message for people: who failed (the API server), how, and while doing what."""
    where = f"Kubernetes API at {server}"
    if isinstance(exc, ApiException):
        status = exc.status or 0
        if status == 0:  # the client's own wrapper for TLS failures and unreadable responses
            return CheckError(f"{where} could not be used while {doing}: {_one_line(str(exc.reason or ''))}")
        if status == 401:
            return CheckError(f"{where} rejected the credentials (401 Unauthorized) while {doing}: "
                              "check the target's token or kubeconfig")
        if status == 403:
            return CheckError(f"{where} does not allow {doing} (403 Forbidden): {server_message(exc)}")
        if status == 404:
            return CheckError(not_found or f"{where} found nothing while {doing} (404 Not Found)")
        reason = f"{status} {exc.reason}" if exc.reason else str(status)
        return CheckError(f"{where} answered {reason} while {doing}: {server_message(exc)}")
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return translate(exc.reason, server=server, timeout=timeout, doing=doing, not_found=not_found)
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return CheckError(f"{where}: the host name could not be resolved")
    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # before its parent ConnectTimeoutError
        if _refused(exc):
            return CheckError(f"{where} refused the connection (is the server up and the port right?)")
        return CheckError(f"{where} could not be reached: {_connection_reason(exc)}")
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return CheckError(f"{where} did not answer within {timeout} s while {doing}")
    if isinstance(exc, urllib3.exceptions.SSLError):
        return CheckError(f"{where}: the TLS handshake failed ({_one_line(str(exc))})")
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return CheckError(f"{where} closed the connection while {doing}")
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return CheckError(f"{where} could not be used while {doing}: {type(exc).__name__}")
    return CheckError(f"{where} sent a response the client could not read while {doing}")


def _refused(exc: Exception) -> bool:
    return isinstance(exc.__context__, ConnectionRefusedError) or "refused" in str(exc).lower()


def _connection_reason(exc: Exception) -> str:
    cause = exc.__context__ or exc.__cause__
    return type(cause).__name__ if cause is not None else type(exc).__name__


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())[:MESSAGE_CAP]
