"""What every check is: a small typed class that reads a target and returns a table with a verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import TextChoices

if TYPE_CHECKING:
    from targets.models import Target


class Verdict(TextChoices):
    """What a check concludes, mildest first; a run stores it (diagnostics.models.Run.Verdict is this)."""

    OK = "ok", "OK"
    WARN = "warn", "Warning"
    CRITICAL = "critical", "Critical"
    ERROR = "error", "Error"


OK, WARN, CRITICAL, ERROR = Verdict.OK, Verdict.WARN, Verdict.CRITICAL, Verdict.ERROR
_ORDER = {verdict: rank for rank, verdict in enumerate(Verdict)}

TEXT_CAP = 64 * 1024  # characters of raw text kept per run
ROW_CAP = 200  # rows kept per run
QUERY_CAP = 500  # characters of a SQL query or command shown


def worst(*verdicts: Verdict) -> Verdict:
    return max(verdicts, key=_ORDER.__getitem__, default=OK)


def cap(text: str, limit: int = TEXT_CAP) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters cut)"


class CheckError(Exception):
    """The target could not be read: down, refused, timed out, or denied. The message says which, for people."""


class ParamError(ValueError):
    """Bad params for a check; the message says which and why (a 400 for the API)."""


@dataclass
class Result:
    verdict: Verdict
    summary: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    text: str = ""

    def __post_init__(self) -> None:
        self.rows = self.rows[:ROW_CAP]
        self.text = cap(self.text)


class Check:
    """Subclasses set the class attributes and implement run(); they never write to the target."""

    name: ClassVar[str]  # e.g. "postgres.locks"
    kind: ClassVar[str]  # the Target.Kind it applies to
    title: ClassVar[str]  # e.g. "Waiting locks"
    runbook: ClassVar[str]  # the runbook line it implements, e.g. 'SELECT * FROM pg_locks WHERE NOT granted;'
    params: ClassVar[dict[str, tuple[type, Any]]] = {}  # name -> (type, default)

    def clean_params(self, raw: dict | None) -> dict:
        """Known params with the right types and their defaults; anything else is a ParamError."""
        raw = dict(raw or {})
        unknown = set(raw) - set(self.params)
        if unknown:
            raise ParamError(f"{self.name} takes no parameter {', '.join(sorted(unknown))}"
                             + (f"; it takes {', '.join(self.params)}" if self.params else ""))
        cleaned = {}
        for key, (kind, default) in self.params.items():
            value = raw.get(key, default)
            if (value is not None and not isinstance(value, kind)) or (isinstance(value, bool) and kind is not bool):
                raise ParamError(f"{self.name}: {key} must be {kind.__name__}")
            cleaned[key] = value
        return cleaned

    def run(self, target: Target, params: dict) -> Result:  # pragma: no cover - abstract
        raise NotImplementedError


REGISTRY: dict[str, Check] = {}


def register(cls: type[Check]) -> type[Check]:
    """Class decorator: make a check available by its name."""
    if cls.name in REGISTRY:
        raise ValueError(f"Two checks are called {cls.name}")
    REGISTRY[cls.name] = cls()
    return cls
