"""Where chat pictures are kept (MSG-1): outside the web root, never served by /media/.

The folder is settings.MESSAGE_ATTACHMENT_ROOT when set, else `<MEDIA_ROOT>/../private/messages`,
read at each use (tests move MEDIA_ROOT per test). Files are served only by the attachment view,
which checks that the person asking may read the conversation.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


def attachment_root() -> Path:
    configured = getattr(settings, "MESSAGE_ATTACHMENT_ROOT", None)
    if configured:
        return Path(configured)
    return Path(settings.MEDIA_ROOT).parent / "private" / "messages"


@deconstructible
class AttachmentStorage(FileSystemStorage):
    def __init__(self) -> None:
        super().__init__()

    @property
    def base_location(self):  # type: ignore[override]
        return attachment_root()

    @property
    def location(self):  # type: ignore[override]
        return str(Path(self.base_location).resolve())

    @property
    def base_url(self):  # type: ignore[override]
        return None
