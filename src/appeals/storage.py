"""Where appeal documents are kept (PAY-3): identity papers and card photos are private, so
they live beside MEDIA_ROOT, not in it — never served by /media/, only through the appeal
pages that check who is asking."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible
class AppealDocumentStorage(FileSystemStorage):
    """`<MEDIA_ROOT>/../private/appeals`, read from the settings at each use."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def base_location(self):  # type: ignore[override]
        return Path(settings.MEDIA_ROOT).parent / "private" / "appeals"

    @property
    def location(self):  # type: ignore[override]
        return str(Path(self.base_location).resolve())

    @property
    def base_url(self):  # type: ignore[override]
        return None
