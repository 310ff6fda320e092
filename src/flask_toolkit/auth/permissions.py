"""Permission strings and how a granted permission satisfies a required one.

A permission is a string ``resource:action`` (more levels are allowed:
``reports:export:pdf``). What an identity is *granted* may use wildcards:

``*``
    everything;
``resource:*``
    every action on ``resource`` (and every deeper level, ``resource:a:b``).

A *required* permission is matched literally: requiring ``admin:*`` asks for the
wildcard grant itself, which ``admin:read`` does not satisfy.
"""

from __future__ import annotations

import typing as t

#: The grant that satisfies every requirement.
WILDCARD = "*"


def validate_permission(permission: object) -> str:
    """Check that ``permission`` is a usable permission string and return it.

    Called when a decorator is applied, so a typo fails at import time, not on the
    first request.

    :param permission: the value passed to :func:`require_permission`.
    :raises TypeError: if it is not a string.
    :raises ValueError: if it is empty, has whitespace or empty parts.
    """
    if not isinstance(permission, str):
        raise TypeError(
            f"A permission must be a string such as 'tasks:read', got {permission!r}."
        )
    if permission == WILDCARD:
        return permission
    parts = permission.split(":")
    if (
        not permission
        or any(not part for part in parts)
        or any(ch.isspace() for ch in permission)
    ):
        raise ValueError(
            f"Invalid permission {permission!r}: write 'resource:action' with no"
            " spaces and no empty parts, such as 'tasks:read' or 'tasks:*'."
        )
    return permission


def normalize_grants(granted: t.Iterable[str] | None) -> frozenset[str]:
    """Turn what a loader returned into the frozen set the checks use.

    :param granted: any iterable of permission strings (a single string is refused,
        because iterating it would grant one-letter permissions).
    """
    if granted is None:
        return frozenset()
    if isinstance(granted, frozenset):
        return granted
    if isinstance(granted, str):
        raise TypeError(
            "Identity permissions must be a collection of strings, not one string;"
            f" write [{granted!r}] instead of {granted!r}."
        )
    return frozenset(granted)


def is_granted(granted: frozenset[str], required: str) -> bool:
    """Tell whether the grants in ``granted`` satisfy the permission ``required``.

    :param granted: the identity's permissions, possibly with wildcards.
    :param required: one permission the endpoint asks for.
    """
    if required in granted or WILDCARD in granted:
        return True
    # Walk the prefixes: "a:b:c" is satisfied by "a:*" and "a:b:*".
    end = required.find(":")
    while end != -1:
        if required[: end + 1] + WILDCARD in granted:
            return True
        end = required.find(":", end + 1)
    return False


def has_permissions(
    granted: frozenset[str], required: t.Sequence[str], *, any_of: bool = False
) -> bool:
    """Check several permissions at once.

    :param granted: the identity's permissions.
    :param required: the permissions asked for.
    :param any_of: ``True`` to accept any one of them; by default all are needed.
    """
    if any_of:
        return any(is_granted(granted, perm) for perm in required)
    return all(is_granted(granted, perm) for perm in required)


def missing_permissions(
    granted: frozenset[str], required: t.Sequence[str]
) -> list[str]:
    """Return the permissions of ``required`` that ``granted`` does not satisfy."""
    return [perm for perm in required if not is_granted(granted, perm)]
