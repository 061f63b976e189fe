"""The running bot picks up KB edits without a restart; a broken edit keeps the last good KB serving."""
from __future__ import annotations

import shutil

from wiring.settings import EXAMPLE_KB_DIR
from bot.words import Status
from tests.flows import EMPLOYEE_DM, ask_dm, text_of, wait_call
from tests.harness import running

NEW_ENTRY = """
  - id: it-quantum-coffee
    department: it
    questions:
      - How do I calibrate the quantum coffee synthesizer?
    answer: Press the big green button twice, then wait for the hum.
"""


def test_edits_go_live_and_broken_edits_are_reported_not_served(sqlite_url, tmp_path):
    kb_dir = tmp_path / "kb"
    shutil.copytree(EXAMPLE_KB_DIR, kb_dir)
    with running(sqlite_url, kb_dir=kb_dir, admin_channel="C0HLADMINS") as h:
        question = "How do I calibrate the quantum coffee synthesizer?"
        assert h.app.kb.match(question).entry is None
        assert h.app.kb_source.reload_if_changed() is False  # nothing changed yet

        it_file = kb_dir / "it.yaml"
        it_file.write_text(it_file.read_text(encoding="utf-8") + NEW_ENTRY, encoding="utf-8")
        assert h.app.kb_source.reload_if_changed() is True
        request = ask_dm(h, question)
        assert request.status == Status.ANSWERED and request.kb_entry_id == "it-quantum-coffee"
        assert "big green button" in text_of(wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM))

        it_file.write_text(it_file.read_text(encoding="utf-8") + "  - id: [broken\n", encoding="utf-8")
        assert h.app.kb_source.reload_if_changed() is False
        alert = wait_call(h, 0, "chat.postMessage", "C0HLADMINS", "it.yaml")
        assert "last good version is still answering" in text_of(alert)
        assert h.app.kb.match(question).entry.id == "it-quantum-coffee"  # still serving the good KB
        assert h.app.kb_source.reload_if_changed() is False
        assert len(h.slack.calls("chat.postMessage")) == 2  # the broken edit is reported once
