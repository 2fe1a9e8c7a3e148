"""The one failure a target raises for people: its secret refused, its server down, refused, timed out or denied."""


class TargetError(Exception):
    """A target could not be used. The message says which and why, for people; it never carries the secret.

    Diagnostics records it as a failed run and mitigations as a failed action, each at one place."""
