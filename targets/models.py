"""Targets: the systems Warroom looks at and acts on, and how to reach them, holding references to secrets only."""

import os
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.db import models

from targets.secrets import SecretRefused, env_problem, file_problem, read_secret, scrub
from warroom.redact import mask_url_password, remember


class Target(models.Model):
    """A system the runbook's checks look at and its mitigations act on. Holds references to secrets, never the
    secrets themselves."""

    class Kind(models.TextChoices):
        POSTGRES = "postgres", "PostgreSQL server"
        REDIS = "redis", "Redis server"
        KUBERNETES = "kubernetes", "Kubernetes deployment"
        HTTP = "http", "HTTP health URL"

    name = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(max_length=200, blank=True)
    url = models.CharField(
        max_length=500, blank=True,
        help_text="postgres://user@host:5432/db, redis://host:6379/0, https://host/health, or the Kubernetes API "
        "server URL (blank: from the kubeconfig). No password here: name it in secret_env or secret_file.",
    )
    extra_urls = models.TextField(blank=True, help_text="HTTP targets: more health URLs, one per line")
    secret_env = models.CharField(max_length=100, blank=True,
                                  help_text="Environment variable holding the password or token; its name must "
                                  "start with WARROOM_TARGET_")
    secret_file = models.CharField(max_length=300, blank=True,
                                   help_text="File holding the password or token, inside WARROOM_SECRET_DIR "
                                   "(a relative path is taken from there)")
    kubeconfig = models.CharField(max_length=300, blank=True,
                                  help_text="Path; blank: as kubectl, the files in $KUBECONFIG, else ~/.kube/config")
    kube_context = models.CharField(max_length=100, blank=True, help_text="Blank: the kubeconfig's current context")
    in_cluster = models.BooleanField(default=False, help_text="Use the pod's service account")
    namespace = models.CharField(max_length=100, blank=True, default="default")
    deployment = models.CharField(max_length=100, blank=True, help_text="e.g. bharatcart-api")
    timeout_seconds = models.PositiveSmallIntegerField(default=5, help_text="Connect and per-call timeout")
    enabled = models.BooleanField(default=True)

    class Meta:
        db_table = "diagnostics_target"  # moved from diagnostics with its table and rows, unchanged
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors: dict[str, list[str]] = {}
        needs: dict[str, str] = {self.Kind.POSTGRES: "url", self.Kind.REDIS: "url", self.Kind.HTTP: "url",
                                 self.Kind.KUBERNETES: "deployment"}
        required = needs[self.kind]
        if not getattr(self, required):
            errors.setdefault(required, []).append(f"A {self.get_kind_display()} target needs this.")
        if self.url:
            errors.setdefault("url", []).extend(self._url_problems(self.url))
        for line in self.extra_urls.splitlines():
            if line.strip():
                errors.setdefault("extra_urls", []).extend(
                    f"{mask_url_password(line.strip())}: {problem}" for problem in self._url_problems(line.strip()))
        if self.secret_env and (problem := env_problem(self.secret_env)):
            errors.setdefault("secret_env", []).append(problem)
        if self.secret_file and (problem := file_problem(self.secret_file)):
            errors.setdefault("secret_file", []).append(problem)
        errors = {field: messages for field, messages in errors.items() if messages}
        if errors:
            raise ValidationError(errors)

    def _url_problems(self, url: str) -> list[str]:
        """What is wrong with one of this target's URLs: a password in it, or a health URL that is not http(s)."""
        try:
            parts = urlsplit(url)
            password = parts.password
        except ValueError as exc:
            return [f"Not a URL: {exc}."]
        if password is not None:
            return ["Do not put a password in the URL: name it in secret_env or secret_file."]
        if self.kind == self.Kind.HTTP:
            if parts.scheme not in ("http", "https"):
                return ["A health URL must start with http:// or https://."]
            if parts.username is not None:
                # urllib3 never sends a URL's user part: it could only leak, never authenticate.
                return ["Do not put credentials in a health URL: name the token in secret_env or secret_file."]
        return []

    @property
    def display_url(self) -> str:
        """The URL with any password masked, for pages, the API and logs."""
        return mask_url_password(self.url) if self.url else ""

    @property
    def where(self) -> str:
        if self.kind == self.Kind.KUBERNETES:
            return f"{self.kube_context or 'current context'} / {self.namespace} / deployment/{self.deployment}"
        return self.display_url

    def secret(self) -> str | None:
        """The password or token, read at the moment it is needed, and only from inside the fence
        (targets.secrets): a reference stored before the rule is refused here with SecretRefused."""
        secret = read_secret(env=self.secret_env, file=self.secret_file, environ=os.environ)
        remember(secret)  # from now on masked in every log record, whoever logs it (a library quoting its peer)
        self.url_passwords()  # the same for a password left in the URL
        return secret

    def scrub(self, text: str) -> str:
        """Text with this target's secret and any URL password masked: for anything stored, shown or logged."""
        try:
            secret = self.secret()
        except SecretRefused:
            secret = None  # never read, so it cannot be in the text
        return scrub(text, secret, *self.url_passwords())

    def url_passwords(self) -> list[str]:
        """Passwords left inside this target's URLs (rows from before that was refused): a server may quote them
        back as it would any password, so they are masked wherever they turn up, not only inside a URL."""
        found = []
        for url in self.health_urls if self.url else []:
            try:
                password = urlsplit(url).password
            except ValueError:
                continue
            if password:
                found += [password, unquote(password)]
        remember(*found)
        return found

    @property
    def health_urls(self) -> list[str]:
        return [self.url, *(line.strip() for line in self.extra_urls.splitlines() if line.strip())]
