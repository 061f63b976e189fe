"""Test helpers for the weekly digest: a copy of kb/example with digests switched on, and recording messages."""
from __future__ import annotations

import shutil
from pathlib import Path

from bot.digest import Digest
from bot.outbox import SlackWrite

EXAMPLE_KB = Path(__file__).resolve().parent.parent / "kb" / "example"


def kb_with_digests(folder: Path, digests: dict[str, str]) -> Path:
    """kb/example copied to `folder`, with `digest: <flow mapping>` added to the departments given by id."""
    shutil.copytree(EXAMPLE_KB, folder)
    path = folder / "departments.yaml"
    text = path.read_text(encoding="utf-8")
    for department, setting in digests.items():
        item = f"  - id: {department}\n"
        assert text.count(item) == 1, f"kb/example has no department {department!r}"
        text = text.replace(item, f"{item}    digest: {setting}\n")
    path.write_text(text, encoding="utf-8")
    return folder


class RecordingDigestMessages:
    """bot.digest.DigestMessages that keeps every Digest asked for; the writes say what they were."""

    def __init__(self) -> None:
        self.digests: list[Digest] = []

    def digest(self, digest: Digest) -> SlackWrite:
        self.digests.append(digest)
        return SlackWrite("chat.postMessage", {"what": "digest", "department": digest.department_id,
                                               "channel": digest.channel}, lane="staff")

    def digest_chart(self, digest: Digest) -> SlackWrite | None:
        if not digest.requests:
            return None
        return SlackWrite("files.uploadV2", {"what": "digest_chart", "department": digest.department_id,
                                             "channel": digest.channel}, lane="staff")
