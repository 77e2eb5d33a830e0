"""The ``uid`` sandbox level: a placeholder with the level's fixed interface.

The level itself (the kernel as an unprivileged uid of its own, for containers that
refuse user namespaces but run the grader as root) is built on its own branch, which
replaces this file. Until then the level reports that it cannot be made, so
``auto`` falls back to refusing where bubblewrap does not work.
"""
from pathlib import Path

NOT_BUILT = "the uid level is not built in this branch."


def check_uid() -> tuple[bool, str]:
    """(True, "") when the uid level can be made here, else (False, why)."""
    return False, NOT_BUILT


def uid_launch_prefix(workdir: Path, config) -> "LaunchPrefix":  # noqa: F821 (grader.sandbox.LaunchPrefix)
    """The kernel's command prefix under the uid level (never called while :func:`check_uid` refuses)."""
    from .sandbox import SandboxUnavailable
    raise SandboxUnavailable(NOT_BUILT)


def uid_enforcement(config) -> dict[str, str]:
    """What the uid level enforces here, for ``make sandbox-check``: {limit: description}."""
    return {"isolation": f"UNAVAILABLE: {NOT_BUILT}"}
