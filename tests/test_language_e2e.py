"""Each person's own language, end to end: signed Slack requests into the real app, users.info answered by the
local fake Slack with each person's locale; messages and KB answers in Vietnamese and Polish."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from handlers.action_ids import ActionId
from localslack.webapi import LocalSlack
from tests.flows import (IT_STAFF, IT_TRIAGE, UNANSWERABLE, click, reload, request_for, resolve, text_of,
                         wait_call, wait_recorded)
from tests.harness import running
from wiring.settings import EXAMPLE_KB_DIR

MINH, MINH_DM = "U0HLVIMINH", "D0HLVIMINH"      # Slack in Vietnamese (vi-VN), in Hanoi
KASIA, KASIA_DM = "U0HLPLKASIA", "D0HLPLKASIA"  # Slack in Polish (pl-PL)
JUREK, JUREK_DM = "U0HLPLJUREK", "D0HLPLJUREK"  # no locale given; types Polish without diacritics
JOHN, JOHN_DM = "U0HLENJOHN", "D0HLENJOHN"      # Slack in English


@pytest.fixture
def slack():
    with LocalSlack() as fake:
        fake.add_user(MINH, "Nguyễn Văn Minh", tz="Asia/Ho_Chi_Minh", locale="vi-VN")
        fake.add_user(KASIA, "Katarzyna Nowak", tz="Europe/Warsaw", locale="pl-PL")
        fake.add_user(JUREK, "Jerzy Kowalski", tz="Europe/Warsaw")
        fake.add_user(JOHN, "John Smith", tz="Europe/London", locale="en-GB")
        yield fake


@pytest.fixture
def h(sqlite_url, slack):
    with running(sqlite_url, slack=slack) as harness:
        yield harness


def ask(h, user: str, channel: str, text: str, column: str = "answer_ts"):
    response = h.sim.message(user, text, channel)
    assert response.status == 200, response.body
    return wait_recorded(h, request_for(h, channel, response.ts).id, column)


def test_a_vietnamese_requester_gets_the_vietnamese_answer_and_buttons(h):
    request = ask(h, MINH, MINH_DM, "mật khẩu VPN hết hạn rồi")
    answer = text_of(wait_call(h, 0, "chat.postMessage", MINH_DM))
    assert "Dạ, VPN có mật khẩu *riêng*" in answer and "Anh/chị mở https://id.example.com/vpn" in answer
    assert "Câu trả lời này có giúp được anh/chị không ạ?" in answer
    assert "[Vấn đề đã được giải quyết]" in answer and "[Tôi vẫn cần hỗ trợ]" in answer
    assert "The VPN has its" not in answer and "Did this answer" not in answer
    assert "Những người hỏi câu này cũng hỏi:" in answer and "[Không kết nối được VPN]" in answer  # related
    lookup = h.slack.calls("users.info")[0]
    assert lookup.args["user"] == MINH and str(lookup.args["include_locale"]).lower() in ("1", "true")
    assert reload(h, request.id).language == "vi"

    mark = click(h, MINH, ActionId.NEED_HELP, request, MINH_DM, request.answer_ts)
    notice = text_of(wait_call(h, mark, "chat.postMessage", MINH_DM))
    assert notice.startswith("Dạ, em chưa tìm được câu trả lời chắc chắn nên đã chuyển yêu cầu của anh/chị tới *IT*.")
    assert f"(Yêu cầu #{request.id})" in notice
    edited = text_of(wait_call(h, mark, "chat.update", MINH_DM))
    assert "Đã chuyển tới *IT*. Sẽ có người liên hệ lại với anh/chị tại đây." in edited
    triage = text_of(wait_call(h, mark, "chat.postMessage", IT_TRIAGE))  # IT's language: English
    assert f"*Request #{request.id}* from <@{MINH}>" in triage and "[Claim]" in triage


def test_a_polish_requester_is_written_to_in_polish_through_claim_resolve_and_the_follow_up(h):
    request = ask(h, KASIA, KASIA_DM, UNANSWERABLE, column="triage_ts")
    notice = text_of(wait_call(h, 0, "chat.postMessage", KASIA_DM))
    assert notice.startswith("Nie udało mi się znaleźć pewnej odpowiedzi, więc zgłoszenie zostało przekazane do "
                             "działu *IT*.") and f"(Zgłoszenie #{request.id})" in notice
    assert "; ktoś odpowie właśnie tutaj." in notice and "Dyżur ma <@" in notice

    mark = click(h, IT_STAFF[0], ActionId.CLAIM, request, IT_TRIAGE, request.triage_ts)
    claimed = text_of(wait_call(h, mark, "chat.postMessage", KASIA_DM, "zajmuje się"))
    assert claimed == f"<@{IT_STAFF[0]}> z działu *IT* zajmuje się tym zgłoszeniem."
    assert "Claimed by" in text_of(wait_call(h, mark, "chat.update", IT_TRIAGE))  # staff: English

    mark = resolve(h, IT_STAFF[0], reload(h, request.id), done="Wymieniony zasilacz projektora")
    told = text_of(wait_call(h, mark, "chat.postMessage", KASIA_DM, "rozwiązane"))
    assert told.startswith(f"Zgłoszenie zostało oznaczone jako rozwiązane przez: <@{IT_STAFF[0]}>. Za jakiś czas "
                           "zapytam, czy problem naprawdę zniknął.")
    assert "*Co zostało zrobione:* Wymieniony zasilacz projektora" in told

    mark = len(h.slack.calls())
    h.advance(hours=25)  # the follow-up, a day later, uses the language stored on the request
    followup = text_of(wait_call(h, mark, "chat.postMessage", KASIA_DM, "naprawdę został rozwiązany"))
    assert "[Tak, działa]" in followup and "[Nie, nadal nie działa]" in followup
    assert len(h.slack.calls("users.info")) == 1  # looked up once, when she asked


def test_no_locale_and_polish_typed_without_diacritics_gets_polish(h):
    request = ask(h, JUREK, JUREK_DM, "wygaslo mi haslo do vpn, co mam zrobic?")
    answer = text_of(wait_call(h, 0, "chat.postMessage", JUREK_DM))
    assert "VPN ma *osobne* hasło (inne niż do poczty/SSO), które wygasa co 90 dni." in answer
    assert "Czy ta odpowiedź pomogła?" in answer and "[Nadal potrzebuję pomocy]" in answer
    assert reload(h, request.id).language == "pl"


def test_an_english_locale_wins_over_a_vietnamese_question(h):
    ask(h, JOHN, JOHN_DM, "mật khẩu VPN hết hạn rồi")
    answer = text_of(wait_call(h, 0, "chat.postMessage", JOHN_DM))
    assert "The VPN has its *own* password" in answer and "Did this answer your question?" in answer


def test_when_users_info_fails_the_question_is_still_answered_in_the_language_of_its_text(h):
    h.slack.fail("users.info", "fatal_error", times=2)
    ask(h, MINH, MINH_DM, "How do I reset my VPN password?")  # his Slack is Vietnamese, but Slack is down
    answer = text_of(wait_call(h, 0, "chat.postMessage", MINH_DM))
    assert "The VPN has its *own* password" in answer and "[I still need help]" in answer
    ask(h, KASIA, KASIA_DM, "nie pamiętam hasła do poczty firmowej")
    answer = text_of(wait_call(h, 0, "chat.postMessage", KASIA_DM))
    assert "Poczta działa na firmowym koncie SSO" in answer and "[Nadal potrzebuję pomocy]" in answer


def test_a_department_with_a_language_gets_its_triage_posts_in_it(sqlite_url, slack, tmp_path):
    kb_dir = Path(shutil.copytree(EXAMPLE_KB_DIR, tmp_path / "kb"))
    departments = kb_dir / "departments.yaml"
    text = departments.read_text(encoding="utf-8")
    assert "    name: IT\n" in text
    departments.write_text(text.replace("    name: IT\n", "    name: IT\n    language: pl\n", 1), encoding="utf-8")
    with running(sqlite_url, slack=slack, kb_dir=kb_dir) as h:
        request = ask(h, JOHN, JOHN_DM, UNANSWERABLE, column="triage_ts")
        notice = text_of(wait_call(h, 0, "chat.postMessage", JOHN_DM))
        assert notice.startswith("I couldn't find a confident answer, so I've passed your request to *IT*.")
        triage = text_of(wait_call(h, 0, "chat.postMessage", IT_TRIAGE))
        assert f"*Zgłoszenie #{request.id}* · zgłasza: <@{JOHN}> · w wiadomości prywatnej" in triage
        assert "Czeka na przypisanie." in triage and "[Przypisz do mnie]" in triage and "[Przekaż]" in triage


def test_a_users_info_that_hangs_holds_the_question_up_a_few_seconds_at_most(h):
    h.slack.slow("users.info", 6)
    ask(h, KASIA, KASIA_DM, "Jak zresetować hasło do VPN?")
    answer = text_of(wait_call(h, 0, "chat.postMessage", KASIA_DM, timeout=8))
    assert "VPN ma *osobne* hasło" in answer  # the text told the language; Slack's answer came too late
