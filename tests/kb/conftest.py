"""Fixtures: small knowledge bases written to tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

DEPARTMENTS = """\
default: it
departments:
  - id: it
    name: IT
    triage_channel: C0IT
    staff: [U0ANNA, U0PIOTR]
    keywords: [laptop, vpn]
    rotation:
      members: [U0ANNA, U0PIOTR]
      handoff: {weekday: monday, time: "09:00"}
      timezone: Europe/Warsaw
      start: 2026-01-05
  - id: hr
    name: HR
    triage_channel: C0HR
    staff: [U0LAN]
    followup_delay_hours: 12
    rotation:
      members: [U0LAN]
      handoff: {weekday: 4, time: "17:30"}
      timezone: Asia/Ho_Chi_Minh
      start: 2026-01-02
      period_days: 14
"""

IT = """\
entries:
  - id: vpn-password-reset
    department: it
    questions:
      - How do I reset my VPN password?
      - vpn password expired
      - mật khẩu VPN hết hạn
      - jak zresetować hasło do VPN
    answer: Open https://id.example.com and choose "Forgot password".
    keywords: [vpn]
  - id: printer-jam
    department: it
    questions:
      - The printer on floor 3 is jammed
      - paper stuck in the printer
    answer: Open tray B and remove the paper.
  - id: wifi-guest
    department: it
    questions:
      - What is the guest wifi password?
      - how can visitors get on the wifi
    answer: Guests use the network "Visitors"; the code is at reception.
"""

HR = """\
entries:
  - id: vacation-request
    department: hr
    questions:
      - How do I request vacation days?
      - I want to book holiday leave
      - xin nghỉ phép như thế nào
    answer: Use the Leave tab in the HR portal.
  - id: payslip
    department: hr
    questions:
      - Where can I download my payslip?
      - gdzie jest mój pasek wypłaty
    answer: Payslips are in the HR portal under Documents.
"""

WriteKb = Callable[..., Path]


@pytest.fixture
def write_kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WriteKb:
    """Write files (name -> YAML text) into tmp_path/kb, chdir to tmp_path, return the KB dir."""
    monkeypatch.chdir(tmp_path)

    def write(files: dict[str, str] | None = None, *, departments: str | None = DEPARTMENTS) -> Path:
        kb_dir = tmp_path / "kb"
        kb_dir.mkdir(exist_ok=True)
        if departments is not None:
            (kb_dir / "departments.yaml").write_text(textwrap.dedent(departments), encoding="utf-8")
        for name, text in (files if files is not None else {"it.yaml": IT, "hr.yaml": HR}).items():
            (kb_dir / name).write_text(textwrap.dedent(text), encoding="utf-8")
        return kb_dir

    return write
