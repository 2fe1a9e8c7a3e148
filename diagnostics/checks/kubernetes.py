"""Checks for Kubernetes deployments: the runbook's kubectl lines (rollout history, get pods, top pods, logs).

What kubectl decides (owned ReplicaSets, revisions, rollout status, which pod `logs deployment/X` reads) comes from
targets.kubernetes.kubectl, shared with mitigations; what only these checks show (the pod status string, ages,
quantity formatting, verdicts) is here, as pure functions tested on JSON fixtures. The check classes fetch through
targets.kubernetes.client and assemble a Result; the cluster's failures (ClusterError) end the run as failed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from diagnostics.checks.base import (
    CRITICAL,
    OK,
    ROW_CAP,
    TEXT_CAP,
    WARN,
    Check,
    CheckError,
    ParamError,
    Result,
    Verdict,
    register,
    worst,
)
from targets.kubernetes.kubectl import (
    CHANGE_CAUSE,
    COMPLETE,
    FAILED,
    condition,
    default_container,
    is_ready,
    owned_replicasets,
    parse_quantity,
    pick_log_pod,
    pods_of,
    revision_of,
    rollout_status,
    selector_string,
)

if TYPE_CHECKING:
    from targets.kubernetes.client import KubeSession
    from targets.kubernetes.kubectl import KubeObject
    from targets.models import Target

# The kubernetes client costs a web worker ~25 MiB; only the Celery worker needs it, so it is imported on use.


def _session(target: Target) -> KubeSession:
    from targets.kubernetes.client import KubeSession

    return KubeSession(target)


HISTORY_LIMIT = 10
LOG_BYTES_CAP = 256 * 1024
TAIL_MAX = 1000
PATTERN_MAX = 200
WARN_PERCENT, CRITICAL_PERCENT = 80, 95
BROKEN_REASONS = frozenset({"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull"})
MI = 1024 * 1024
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


# --- rollout history -----------------------------------------------------------------------------------------------

def images_of(pod_template_spec: KubeObject) -> str:
    containers = (pod_template_spec.containers or []) if pod_template_spec else []
    return ", ".join(c.image or "" for c in containers)


def rollout_state(deployment: KubeObject) -> tuple[Verdict, str]:
    """kubectl rollout status's decision as a verdict: failed is critical, still progressing a warning."""
    state, sentence = rollout_status(deployment)
    return {COMPLETE: OK, FAILED: CRITICAL}.get(state, WARN), sentence


def history_rows(deployment: KubeObject, history: Sequence[KubeObject]) -> list[list[Any]]:
    current = revision_of(deployment)
    rows = []
    for rs in history[:HISTORY_LIMIT]:
        revision = revision_of(rs)
        template = rs.spec.template.spec if rs.spec and rs.spec.template else None
        created = rs.metadata.creation_timestamp
        rows.append([
            revision, "yes" if revision == current else "", images_of(template),
            created.isoformat() if created else "", (rs.metadata.annotations or {}).get(CHANGE_CAUSE, ""),
            (rs.spec.replicas if rs.spec else None) or 0, (rs.status.ready_replicas if rs.status else None) or 0,
        ])
    return rows


# --- pods ------------------------------------------------------------------------------------------------------------

def _restartable(container: KubeObject) -> bool:
    return container is not None and getattr(container, "restart_policy", None) == "Always"


def _terminated_reason(term: KubeObject, prefix: str = "") -> str:
    if term.reason:
        return prefix + term.reason
    return prefix + (f"Signal:{term.signal}" if term.signal else f"ExitCode:{term.exit_code}")


class PodInfo(NamedTuple):
    ready_containers: int
    total_containers: int
    status: str
    restarts: int
    ready: bool


def pod_info(pod: KubeObject) -> PodInfo:
    """READY, STATUS and RESTARTS as `kubectl get pods` computes them (printers.go printPod)."""
    spec, status, meta = pod.spec, pod.status, pod.metadata
    phase = (status.phase if status else None) or ""
    reason = (status.reason if status else None) or phase
    if any(c.type == "PodScheduled" and c.reason == "SchedulingGated"
           for c in ((status.conditions or []) if status else [])):
        reason = "SchedulingGated"
    init_specs = {c.name: c for c in (spec.init_containers or [])} if spec else {}
    total = len(spec.containers or []) + sum(1 for c in init_specs.values() if _restartable(c)) if spec else 0
    ready = restarts = sidecar_restarts = 0
    initializing = False
    for i, cs in enumerate((status.init_container_statuses or []) if status else []):
        restarts += cs.restart_count or 0
        sidecar = _restartable(init_specs.get(cs.name))
        if sidecar:
            sidecar_restarts += cs.restart_count or 0
        term = cs.state.terminated if cs.state else None
        wait = cs.state.waiting if cs.state else None
        if term is not None and term.exit_code == 0:
            continue
        if sidecar and cs.started:
            ready += 1 if cs.ready else 0
            continue
        if term is not None:
            reason = _terminated_reason(term, "Init:")
        elif wait is not None and wait.reason and wait.reason != "PodInitializing":
            reason = "Init:" + wait.reason
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized = (cond := condition(pod, "Initialized")) is not None and cond.status == "True"
    if not initializing or initialized:
        restarts, has_running = sidecar_restarts, False
        for cs in reversed((status.container_statuses or []) if status else []):
            restarts += cs.restart_count or 0
            term = cs.state.terminated if cs.state else None
            wait = cs.state.waiting if cs.state else None
            if wait is not None and wait.reason:
                reason = wait.reason
            elif term is not None:
                reason = _terminated_reason(term)
            elif cs.ready and cs.state is not None and cs.state.running is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if is_ready(pod) else "NotReady"
    if meta.deletion_timestamp and status and status.reason == "NodeLost":
        reason = "Unknown"
    elif meta.deletion_timestamp and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return PodInfo(ready, total, reason, restarts, is_ready(pod))


def human_age(seconds: float) -> str:
    """kubectl's AGE column (apimachinery duration.HumanDuration): 45s, 5m30s, 3h, 2d4h, 40d, 2y30d."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24 % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def is_broken(status: str) -> bool:
    """A status that will not fix itself: a crash loop or an image that cannot be pulled (also in init)."""
    return status.removeprefix("Init:") in BROKEN_REASONS


def pods_verdict(infos: Sequence[PodInfo], desired: int | None) -> Verdict:
    """critical: nothing ready, or a crash loop / image pull failure; warn: some not ready or restarted; else ok."""
    if not infos:
        return WARN if desired == 0 else CRITICAL
    if not any(info.ready for info in infos) or any(is_broken(info.status) for info in infos):
        return CRITICAL
    if not all(info.ready for info in infos) or any(info.restarts > 0 for info in infos):
        return WARN
    return OK


# --- logs ------------------------------------------------------------------------------------------------------------

def grep(lines: Sequence[str], pattern: str | None) -> list[list[Any]]:
    """[line number, line] for lines holding pattern as a case-insensitive plain substring (all lines if None)."""
    needle = pattern.casefold() if pattern is not None else None
    return [[n, line] for n, line in enumerate(lines, 1) if needle is None or needle in line.casefold()]


def logs_verdict(pattern: str | None, matches: int) -> Verdict:
    return WARN if pattern is not None and matches else OK


# --- top -------------------------------------------------------------------------------------------------------------

def millicores(cores: Decimal) -> int:
    """CPU cores to millicores rounded up, as kubectl top's Quantity.MilliValue()."""
    return math.ceil(cores * 1000)


def mebibytes(size: Decimal) -> int:
    """Bytes to whole Mi, as kubectl top (Value() rounded up, then integer division)."""
    return math.ceil(size) // MI


def format_cpu(cores: Decimal | None) -> str:
    return "" if cores is None else f"{millicores(cores)}m"


def format_memory(size: Decimal | None) -> str:
    return "" if size is None else f"{mebibytes(size)}Mi"


def usage_of(pod_metrics: dict) -> tuple[Decimal, Decimal]:
    """A PodMetrics item's CPU (cores) and memory (bytes), summed over its containers as kubectl top does."""
    cpu = memory = Decimal(0)
    for container in pod_metrics.get("containers") or []:
        usage = container.get("usage") or {}
        cpu += parse_quantity(usage.get("cpu", "0"))
        memory += parse_quantity(usage.get("memory", "0"))
    return cpu, memory


def resources_of(pod: KubeObject, kind: str) -> dict[str, Decimal | None]:
    """The pod's summed requests or limits per resource; a limit counts only if every container sets one."""
    containers = (pod.spec.containers or []) if pod.spec else []
    out: dict[str, Decimal | None] = {}
    for resource in ("cpu", "memory"):
        values = [((getattr(c.resources, kind, None) or {}) if c.resources else {}).get(resource) for c in containers]
        given = [parse_quantity(v) for v in values if v is not None]
        if kind == "limits" and (not containers or len(given) < len(containers)):
            out[resource] = None
        else:
            out[resource] = sum(given, Decimal(0)) if given else None
    return out


def percent_of(usage: Decimal, limit: Decimal | None) -> float | None:
    if limit is None or limit <= 0:
        return None
    return round(float(usage / limit * 100), 1)


def usage_verdict(*percents: float | None) -> Verdict:
    """critical at or over 95 % of a limit, warn at or over 80 %, else ok; no limit, no opinion."""
    known = [p for p in percents if p is not None]
    if any(p >= CRITICAL_PERCENT for p in known):
        return CRITICAL
    if any(p >= WARN_PERCENT for p in known):
        return WARN
    return OK


def top_row(pod: KubeObject, pod_metrics: dict) -> tuple[list[Any], Verdict]:
    """One kubectl-top-like row with requests, limits and percent of limit, and its verdict."""
    cpu, memory = usage_of(pod_metrics)
    requests, limits = resources_of(pod, "requests"), resources_of(pod, "limits")
    cpu_pct, mem_pct = percent_of(cpu, limits["cpu"]), percent_of(memory, limits["memory"])
    row = [pod.metadata.name, format_cpu(cpu), format_cpu(requests["cpu"]), format_cpu(limits["cpu"]), cpu_pct,
           format_memory(memory), format_memory(requests["memory"]), format_memory(limits["memory"]), mem_pct]
    return row, usage_verdict(cpu_pct, mem_pct)


# --- shared ----------------------------------------------------------------------------------------------------------

def text_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain kubectl-like table for the run's text, to paste into notes."""
    cells = [[str(c).upper() for c in columns]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    return "\n".join("   ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def _where(target: Target) -> tuple[str, str]:
    if not target.deployment:
        raise CheckError(f"Target {target.name or '(unnamed)'} names no deployment")
    return target.namespace or "default", target.deployment


def _deployment(session: KubeSession, namespace: str, name: str) -> KubeObject:
    return session.call(session.apps.read_namespaced_deployment, name, namespace,
                        doing=f"reading deployment {name} in namespace {namespace}",
                        not_found=f"deployment {name} not found in namespace {namespace}")


def _pods(session: KubeSession, deployment: KubeObject, namespace: str) -> list[KubeObject]:
    selector = deployment.spec.selector if deployment.spec else None
    listing = session.call(session.core.list_namespaced_pod, namespace,
                           label_selector=selector_string(selector) if selector else None,
                           doing=f"listing pods in namespace {namespace}")
    return pods_of(deployment, listing.items or [])


# --- the checks ------------------------------------------------------------------------------------------------------

@register
class RolloutHistory(Check):
    name = "kubernetes.rollout_history"
    kind = "kubernetes"
    title = "Recent deployments"
    runbook = "git log --oneline -10"

    def run(self, target: Target, params: dict) -> Result:
        namespace, name = _where(target)
        with _session(target) as session:
            deployment = _deployment(session, namespace, name)
            listing = session.call(session.apps.list_namespaced_replica_set, namespace,
                                   doing=f"listing replica sets in namespace {namespace}")
        history = owned_replicasets(deployment, listing.items or [])
        state, sentence = rollout_state(deployment)
        columns = ["revision", "current", "images", "created", "change cause", "replicas", "ready"]
        rows = history_rows(deployment, history)
        current = next((row for row in rows if row[1]), None)
        now = f"revision {current[0]} ({current[2]})" if current else "no current revision found"
        summary = f"deployment {name}: {now}; {len(history)} revisions kept; {sentence}"
        return Result(state, summary, columns, rows, text_table(columns, rows))


@register
class Pods(Check):
    name = "kubernetes.pods"
    kind = "kubernetes"
    title = "Pod health"
    runbook = "kubectl get pods"

    def run(self, target: Target, params: dict) -> Result:
        namespace, name = _where(target)
        with _session(target) as session:
            deployment = _deployment(session, namespace, name)
            pods = _pods(session, deployment, namespace)
        now = datetime.now(UTC)
        columns = ["pod", "ready", "status", "restarts", "age", "node"]
        rows, infos = [], []
        for pod in pods:
            info = pod_info(pod)
            infos.append(info)
            created = pod.metadata.creation_timestamp
            rows.append([pod.metadata.name, f"{info.ready_containers}/{info.total_containers}", info.status,
                         info.restarts, human_age((now - created).total_seconds()) if created else "<unknown>",
                         (pod.spec.node_name if pod.spec else None) or "<none>"])
        desired = deployment.spec.replicas if deployment.spec else None
        verdict = pods_verdict(infos, desired)
        summary = f"deployment {name}: {sum(i.ready for i in infos)} of {len(infos)} pods ready"
        broken = sorted({i.status for i in infos if is_broken(i.status)})
        if broken:
            summary += f"; {', '.join(broken)}"
        restarts = sum(i.restarts for i in infos)
        if restarts:
            summary += f"; {restarts} restart{'' if restarts == 1 else 's'}"
        if not infos:
            summary += " (scaled to zero)" if desired == 0 else f" (wants {desired})"
        return Result(verdict, summary, columns, rows, text_table(columns, rows))


def pods_and_metrics(target: Target) -> tuple[list[KubeObject], dict[str, dict]]:
    """The deployment's pods and the metrics API's PodMetrics by pod name: what `kubectl top pods` reads."""
    namespace, name = _where(target)
    with _session(target) as session:
        deployment = _deployment(session, namespace, name)
        pods = _pods(session, deployment, namespace)
        metrics = session.call(
            session.custom.list_namespaced_custom_object, "metrics.k8s.io", "v1beta1", namespace, "pods",
            doing=f"reading pod metrics in namespace {namespace}",
            not_found=f"metrics-server is not installed: Kubernetes API at {session.server} has no "
                      "metrics.k8s.io/v1beta1 API, so there is nothing like `kubectl top pods` to read")
    if not isinstance(metrics, dict):  # the client types a custom object's answer as any JSON value
        raise CheckError(f"Kubernetes API at {session.server} answered pod metrics that are not a list object")
    items: list[dict[str, Any]] = metrics.get("items") or []
    return pods, {item.get("metadata", {}).get("name"): item for item in items}


class PodMemory(NamedTuple):
    pod: str
    bytes: int
    request: int | None
    limit: int | None


def memory_usage(target: Target) -> list[PodMemory]:
    """Each measured pod's memory (summed over its containers, as kubectl top) with its request and limit, in
    bytes: one sample of a memory watch. Pods without metrics yet are left out."""
    pods, by_name = pods_and_metrics(target)
    out = []
    for pod in pods:
        item = by_name.get(pod.metadata.name)
        if item is None:
            continue
        memory = usage_of(item)[1]
        request, limit = resources_of(pod, "requests")["memory"], resources_of(pod, "limits")["memory"]
        out.append(PodMemory(pod.metadata.name, math.ceil(memory), None if request is None else math.ceil(request),
                             None if limit is None else math.ceil(limit)))
    return out


@register
class Top(Check):
    name = "kubernetes.top"
    kind = "kubernetes"
    title = "Resource usage"
    runbook = "kubectl top pods"

    def run(self, target: Target, params: dict) -> Result:
        name = _where(target)[1]
        pods, by_name = pods_and_metrics(target)
        columns = ["pod", "cpu", "cpu request", "cpu limit", "cpu % of limit",
                   "memory", "memory request", "memory limit", "memory % of limit"]
        rows, verdicts, missing = [], [], []
        for pod in pods:
            if pod.metadata.name not in by_name:
                missing.append(pod.metadata.name)
                continue
            row, verdict = top_row(pod, by_name[pod.metadata.name])
            rows.append(row)
            verdicts.append(verdict)
        verdict = worst(*verdicts) if rows else WARN
        summary = f"deployment {name}: {len(rows)} pods measured" + _peaks(rows)
        if missing:
            summary += f"; no metrics yet for {len(missing)} pods"
        return Result(verdict, summary, columns, rows, text_table(columns, rows))


def _peaks(rows: Sequence[Sequence[Any]]) -> str:
    parts = []
    for label, index in (("CPU", 4), ("memory", 8)):
        known = [row for row in rows if row[index] is not None]
        if known:
            top = max(known, key=lambda row: row[index])
            parts.append(f"highest {label} {top[index]} % of limit ({top[0]})")
    return "; " + ", ".join(parts) if parts else ""


@register
class Logs(Check):
    name = "kubernetes.logs"
    kind = "kubernetes"
    title = "Recent logs"
    runbook = 'kubectl logs deployment/bharatcart-api --tail=100 | grep -i "timeout"'
    params = {"tail": (int, 100), "pattern": (str, None), "container": (str, None)}

    def clean_params(self, raw: dict | None) -> dict:
        cleaned = super().clean_params(raw)
        if not 1 <= cleaned["tail"] <= TAIL_MAX:
            raise ParamError(f"{self.name}: tail must be between 1 and {TAIL_MAX}")
        if cleaned["pattern"] == "":
            cleaned["pattern"] = None
        if cleaned["pattern"] is not None and len(cleaned["pattern"]) > PATTERN_MAX:
            raise ParamError(f"{self.name}: pattern must be at most {PATTERN_MAX} characters")
        if cleaned["container"] == "":
            cleaned["container"] = None
        if cleaned["container"] is not None and not _DNS_LABEL.match(cleaned["container"]):
            raise ParamError(f"{self.name}: container must be a container name (lower-case letters, digits, '-')")
        return cleaned

    def run(self, target: Target, params: dict) -> Result:
        params = self.clean_params(params)
        namespace, name = _where(target)
        with _session(target) as session:
            deployment = _deployment(session, namespace, name)
            pods = _pods(session, deployment, namespace)
            pod = pick_log_pod(pods)
            if pod is None:
                raise CheckError(f"deployment {name} in namespace {namespace} has no pods to read logs from")
            container = self._container(pod, params["container"])
            raw = session.read(session.core.read_namespaced_pod_log, pod.metadata.name, namespace,
                               container=container, tail_lines=params["tail"], limit_bytes=LOG_BYTES_CAP,
                               cap=LOG_BYTES_CAP,
                               doing=f"reading the logs of pod {pod.metadata.name} in namespace {namespace}",
                               not_found=f"pod {pod.metadata.name} not found in namespace {namespace}")
        cut = len(raw) > LOG_BYTES_CAP
        lines = raw[:LOG_BYTES_CAP].decode("utf-8", "replace").splitlines()
        rows = grep(lines, params["pattern"])
        where = f"pod {pod.metadata.name} (container {container}, 1 of {len(pods)} pods)"
        if params["pattern"] is None:
            summary = f"{where}: last {len(lines)} lines"
        else:
            summary = f"{where}: {len(rows)} of {len(lines)} lines match {params['pattern']!r}"
        if cut:
            summary += f" (cut at {LOG_BYTES_CAP // 1024} KiB)"
        text = "\n".join(line for _, line in rows)
        if len(text) > TEXT_CAP:  # keep the newest lines: the end of a log is what matters
            text = f"… ({len(text) - TEXT_CAP} earlier characters cut)\n" + text[-TEXT_CAP:]
        return Result(logs_verdict(params["pattern"], len(rows)), summary, ["line", "text"], rows[-ROW_CAP:], text)

    @staticmethod
    def _container(pod: KubeObject, wanted: str | None) -> str:
        names = [c.name for c in (pod.spec.containers or []) + (pod.spec.init_containers or [])] if pod.spec else []
        if wanted is None:
            chosen = default_container(pod)
            if chosen is None:
                raise CheckError(f"pod {pod.metadata.name} has no containers")
            return chosen
        if wanted not in names:
            raise CheckError(f"pod {pod.metadata.name} has no container {wanted}; it has {', '.join(names)}")
        return wanted
