"""The back-office audit trail (OPS-1: every staff action is audited)."""

from __future__ import annotations

import datetime as dt

from core.models import AuditLog


def audit_record(*, actor, action: str, data: dict, at: dt.datetime) -> AuditLog:
    """Record that `actor` (a staff user, or None for the system) did `action` at `at`."""
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        data=data,
        at=at,
    )
