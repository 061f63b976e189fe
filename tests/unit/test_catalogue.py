"""The message catalogue: every msgid in the code is in the template and translated in vi and pl, with the
same placeholders and Slack markup; the register stays the chosen one; the bot writes in the request's language."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.records import Refusal
from handlers import blocks as b
from handlers import escalation_blocks as esc
from handlers import forms
from handlers import oncall_blocks as oc
from handlers.i18n import LOCALE_DIR, catalogue_path, tr, translations
from tests.unit.support import EMPLOYEE, STATES, rendered, view, view_in

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ("vi", "pl")


def _catalogue(path: Path):
    with path.open("rb") as po:
        return read_po(po)


def _ids_in_code() -> set[str]:
    keywords = {"tr": (2,), "N_": None}
    extracted = extract_from_dir(str(ROOT / "handlers"), keywords=keywords)  # (file, line, msgid, comments, ctx)
    return {item[2] for item in extracted if isinstance(item[2], str) and item[2]}


TEMPLATE = _catalogue(LOCALE_DIR / "helploop.pot")
TEMPLATE_IDS = {m.id for m in TEMPLATE if m.id}


def _fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def test_the_template_holds_exactly_the_msgids_in_the_code():
    in_code = _ids_in_code()
    assert in_code - TEMPLATE_IDS == set(), "new strings: run pybabel extract (see babel.cfg) and translate them"
    assert TEMPLATE_IDS - in_code == set(), "strings no longer used: run pybabel extract and update"


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_each_language_has_a_catalogue_with_every_msgid(language):
    catalogue = _catalogue(catalogue_path(language))
    assert {m.id for m in catalogue if m.id} == TEMPLATE_IDS
    assert str(catalogue.locale) == language


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_msgid_is_translated_by_hand_with_the_same_placeholders_and_markup(language):
    for message in _catalogue(catalogue_path(language)):
        if not message.id:
            continue
        source, text = message.id, message.string
        assert text.strip(), f"{language}: {source!r} is not translated"
        assert not message.fuzzy, f"{language}: {source!r} is fuzzy"
        assert text != source or source.startswith("{") or source in ("Status: {status}",), \
            f"{language}: {source!r} is left in English"
        assert _fields(text) == _fields(source), f"{language}: placeholders differ in {source!r}"
        for mark in ("*", "`", "\n", "<", ">", "|"):
            assert text.count(mark) == source.count(mark), f"{language}: {mark!r} count differs in {source!r}"


def test_english_catalogue_is_the_source_itself():
    assert all(not m.string for m in _catalogue(catalogue_path("en")) if m.id)
    assert translations("en") == {}


def test_vietnamese_addresses_the_employee_as_anh_chi_and_polish_never_as_ty():
    vi, pl = translations("vi"), translations("pl")
    assert not [t for t in vi.values() if re.search(r"\bbạn\b", t, re.IGNORECASE)]  # "anh/chị", not "bạn"
    assert sum("anh/chị" in t.lower() for t in vi.values()) >= 15
    assert sum(t.startswith("Dạ") for t in vi.values()) >= 10
    informal = re.compile(r"\b(ty|ciebie|cię|tobie|twój|twoja|twoje|twojego|twoim|masz|jesteś|możesz)\b", re.I)
    assert not [t for t in pl.values() if informal.search(t)]
    assert not [t for t in pl.values() if re.search(r"\bPan(i|a|u)?\b", t)]  # the neutral forms, consistently


def test_tr_fills_placeholders_and_falls_back_to_english():
    assert tr("pl", "Request #{id} from {asker}: {text}", id=7, asker="<@U1>", text="VPN") == \
        "Zgłoszenie #7 (zgłasza: <@U1>): VPN"
    assert tr("en", "Request #{id} from {asker}: {text}", id=7, asker="<@U1>", text="VPN") == \
        "Request #7 from <@U1>: VPN"
    assert tr("de", "Cancel") == "Cancel" and tr(None, "Cancel") == "Cancel"  # no catalogue: English
    assert tr("vi", "a string that is not in the catalogue {x}", x=1) == "a string that is not in the catalogue 1"


@pytest.mark.parametrize("state", STATES)
def test_requester_messages_are_in_the_requesters_language_and_triage_in_the_departments(state):
    request = view_in(state, language="vi", staff_language="pl", answer_text="Trả lời")
    answer = rendered(*b.answer_message(request, "Trả lời"))
    assert "Câu trả lời này có giúp được anh/chị không ạ?" in answer and "[Tôi vẫn cần hỗ trợ]" in answer
    followup = rendered(*b.followup_question(request))
    assert "đã thực sự được giải quyết chưa ạ?" in followup and "[Vâng, đã ổn rồi]" in followup
    triage = rendered(*b.triage_message(request, None))
    assert f"*Zgłoszenie #{request.id}* · zgłasza: <@{EMPLOYEE}>" in triage
    assert "Request #" not in triage and "Yêu cầu" not in triage


def test_every_builder_writes_polish_for_a_polish_request():
    request = view_in("escalated", language="pl", staff_language="pl")
    texts = [
        b.question_quote(request), b.escalation_notice(request), rendered(*b.answer_message(request, "A")),
        rendered(*b.choices_message(request, [("it-wifi", "Wi-Fi")])), rendered(*b.choices_after_none(request)),
        rendered(*b.triage_message(request, "https://x")), b.what_is_wrong_text(request),
        rendered(*b.which_request_message(request, 3)), b.already_on_it_text(request),
        esc.page_text(request, "backup", "https://x"), esc.stale_reminder(request),
        rendered("", forms.resolve_modal(request)["blocks"]), forms.resolve_modal(request)["submit"]["text"],
        b.refusal_text(Refusal.TOO_LATE, request, EMPLOYEE), b.refusal_text(Refusal.NOT_STAFF, request, "U0X"),
    ]
    english = re.compile(r"\b(the|your|request|you|is|has|it's|I'm|I've)\b", re.IGNORECASE)
    for text in texts:
        assert not english.search(text.replace("*IT*", "")), text


def test_refusals_go_to_the_requester_in_their_language_and_to_staff_in_the_departments():
    request = view_in("claimed", language="vi", staff_language="pl")
    assert b.refusal_text(Refusal.ALREADY_DONE, request, EMPLOYEE).startswith("Yêu cầu này đã chuyển")
    assert b.refusal_text(Refusal.ALREADY_CLAIMED, request, "U0OTHER").startswith("To zgłoszenie jest już")
    assert b.refusal_text(Refusal.ALREADY_CLAIMED, view_in("claimed")).startswith("This request is already")


def test_usage_and_roster_in_the_invokers_language(example_kb):
    from tests.unit.support import AT
    text, _ = oc.usage_message("foo", "vi")
    assert text.startswith("Dạ, em không hiểu lệnh `/helploop foo`.") and "Các lệnh của *helploop*" in text
    text, body = oc.roster_message(example_kb.departments.values(), AT, "pl")
    shown = rendered(text, body)
    assert text.startswith("Dyżur:") and "*Kto ma dyżur*" in shown and " do " in shown
    assert re.search(r"\b(pon\.|wt\.|śr\.|czw\.|pt\.|sob\.|niedz\.)", shown)  # weekday names in Polish


def test_english_stays_exactly_as_before():
    request = view_in("escalated", oncall_user_id="U0HLPIOTR")
    assert b.escalation_notice(request) == (
        "I couldn't find a confident answer, so I've passed your request to *IT*. <@U0HLPIOTR> is on call, and "
        "someone will get back to you right here. (Request #42)")
    assert b.requester_resolved(view_in("resolved")) == (
        "<@U0HLANNA> marked your request as resolved. I'll check back with you later to make sure it's really fixed.")
    assert view().language == "en" and view().staff_language == "en"


def test_a_modal_carries_its_language_to_the_errors_shown_on_submission():
    from handlers.edge import immediate_errors
    from handlers.i18n import view_language
    modal = esc.transfer_modal(view_in("claimed", staff_language="pl"), [("hr", "HR")])
    assert view_language(modal) == "pl" and view_language({"blocks": []}) == "en"
    submitted = {"type": "view_submission", "view": {**modal, "state": {"values": {}}}}
    assert immediate_errors(submitted) == {"response_action": "errors", "errors": {"department": "Proszę wybrać dział."}}
    resolve = forms.resolve_modal(view_in("claimed", staff_language="vi"))
    assert view_language(resolve) == "vi" and resolve["title"]["text"] == "Hoàn tất #42"
