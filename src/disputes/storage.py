"""Where dispute evidence is kept (DSP-1): outside the web root, never served by /media/.

The folder is settings.DISPUTE_EVIDENCE_ROOT when set, else `<MEDIA_ROOT>/../private/disputes`,
read from the settings at each use (tests move MEDIA_ROOT per test). Files are served only by
the evidence view, which checks who is asking (disputes.selectors.evidence_for_user).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


def evidence_root() -> Path:
    configured = getattr(settings, "DISPUTE_EVIDENCE_ROOT", None)
    if configured:
        return Path(configured)
    return Path(settings.MEDIA_ROOT).parent / "private" / "disputes"


@deconstructible
class EvidenceStorage(FileSystemStorage):
    def __init__(self) -> None:
        super().__init__()

    @property
    def base_location(self):  # type: ignore[override]
        return evidence_root()

    @property
    def location(self):  # type: ignore[override]
        return str(Path(self.base_location).resolve())

    @property
    def base_url(self):  # type: ignore[override]
        return None
