"""Connecting to one Target's cluster: its URL and token, its kubeconfig (found as kubectl finds it), a context,
or the pod's service account; and the session every call goes through.

Every call goes through KubeSession so that it carries the target's timeout and any failure (down, refused,
timed out, denied, not found) becomes a ClusterError that names the API server and says what was being done.
The bearer token goes into the client's configuration only: it is never logged nor put into a message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import urllib3
import urllib3.connection
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from targets.deadline import ReplyDeadline
from targets.kubernetes.errors import ClusterError, one_line, translate
from targets.secrets import scrub
from warroom.redact import remember

if TYPE_CHECKING:
    from targets.models import Target

T = TypeVar("T")

DEFAULT_TIMEOUT = 5  # seconds, when a target has none (the client refuses 0)


def timeout_of(target: Target) -> int:
    """The per-call timeout in seconds; never zero, because the client would then wait forever."""
    return target.timeout_seconds if target.timeout_seconds and target.timeout_seconds > 0 else DEFAULT_TIMEOUT


def _configuration(target: Target) -> client.Configuration:
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
            raise ClusterError(f"Could not load {source}{context}: {one_line(str(exc))}") from None
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


class _BoundedHTTP(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = ReplyDeadline(self.sock)


class _BoundedHTTPS(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = ReplyDeadline(self.sock)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _BoundedHTTP


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _BoundedHTTPS


def api_client(target: Target) -> client.ApiClient:
    """An ApiClient for this target alone; the caller closes it (KubeSession does).

    urllib3's read timeout bounds each read, so an API server (or a proxy) dripping a byte a second would hold a
    call for ever: its connections bound each whole response by the call's timeout instead (targets.deadline)."""
    api = client.ApiClient(configuration=_configuration(target))
    api.rest_client.pool_manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return api


class KubeSession:
    """One target's API client and the typed API groups; use it as a context manager."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.timeout = timeout_of(target)
        self.api = api_client(target)
        # The token (from the kubeconfig, or the service account's): masked in every log record from now on.
        remember(*(str(v).removeprefix("Bearer ").strip() for v in (self.api.configuration.api_key or {}).values()))
        self.server = self.api.configuration.host
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)

    def __enter__(self) -> KubeSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.api.close()

    @contextmanager
    def _translated(self, doing: str, not_found: str | None) -> Iterator[None]:
        try:
            yield
        except (ApiException, urllib3.exceptions.HTTPError, ValueError) as exc:
            error = translate(exc, server=self.server, timeout=self.timeout, doing=doing, not_found=not_found)
            raise self._scrubbed(error) from exc

    def _scrubbed(self, error: ClusterError) -> ClusterError:
        """Belt and braces: should a server ever echo the credentials, they still never reach a message."""
        keys = (self.api.configuration.api_key or {}).values()
        tokens = [str(value).removeprefix("Bearer ").strip() for value in keys]
        return ClusterError(scrub(str(error), *(token for token in tokens if len(token) >= 8)), status=error.status)

    def call(self, fn: Callable[..., T], *args: Any, doing: str, not_found: str | None = None, **kwargs: Any) -> T:
        """Call one API method with the target's timeout; failures become a ClusterError naming the server."""
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

    def request(self, method: str, path: str, *, query: Iterable[tuple[str, Any]] = (), body: Any = None,
                content_type: str | None = None, doing: str, not_found: str | None = None) -> Any:
        """One raw request answering JSON: for the kinds a manifest names, and to keep objects exactly as the
        server sent them (fields this client version does not know are not dropped)."""
        return self.call(_send, self.api, method, path, list(query), body, content_type, doing=doing,
                         not_found=not_found)


def _send(api: client.ApiClient, method: str, path: str, query: list[tuple[str, Any]], body: Any,
          content_type: str | None, *, _request_timeout: float) -> Any:
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    request = api.param_serialize(method=method, resource_path=path, query_params=query, header_params=headers,
                                  body=body, auth_settings=["BearerToken"])
    response = api.call_api(*request, _request_timeout=_request_timeout)
    data = response.read()
    if not 200 <= response.status <= 299:
        raise ApiException.from_response(http_resp=response, body=data.decode("utf-8", "replace"), data=None)
    return json.loads(data) if data else None
