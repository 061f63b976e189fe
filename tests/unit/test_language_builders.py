"""The App Home, search, request form and feedback builders write the reader's language; English is unchanged."""
from __future__ import annotations

import re
from datetime import timedelta

from bot.home import HomeData, HomeItem
from bot.records import PastCase, Spike
from bot.search import search
from handlers import feedback_blocks as fb
from handlers import home_blocks as hb
from handlers.capture_blocks import past_cases_message, spike_text
from handlers.feedback_forms import acknowledgement
from handlers.request_form import request_modal
from localslack.sender import SlackSim
from tests.unit.support import AT, CLAIMER, EMPLOYEE, buttons, rendered, view_in

QUESTION = "My VPN password expired and I can't log in"
ENGLISH = re.compile(r"\b(the|your|you|request|requests|help|answers?|thanks|rate|who|what|waiting)\b", re.I)


def _home_text(home: dict) -> str:
    return "\n".join(rendered("", [block]) for block in home["blocks"])


def test_the_rating_prompt_and_its_thanks_in_vietnamese_and_polish():
    text, blocks = fb.rating_prompt(view_in("closed_confirmed", language="vi"))
    assert text == f"Anh/chị đánh giá thế nào về sự hỗ trợ cho vấn đề “{QUESTION}” ạ?"
    assert [label for label, _, _ in buttons(blocks)] == ["1 · kém", "2", "3", "4", "5 · rất tốt", "Thêm nhận xét"]
    text, blocks = fb.rating_prompt(view_in("closed_confirmed", language="pl"))
    assert text == f"Proszę ocenić pomoc w sprawie „{QUESTION}”."
    assert "Nieobowiązkowe: wystarczy jedno kliknięcie." in rendered(text, blocks)
    text, _ = fb.rating_recorded(view_in("closed_confirmed", language="pl"), 5, True)
    assert text == f"Dziękuję za ocenę w sprawie „{QUESTION}”. Ocena: 5/5 {':star:' * 5}. Dziękuję również za komentarz."


def test_the_recheck_pulse_and_feedback_notes_in_the_readers_language():
    text, blocks = fb.recheck_question(view_in("closed_confirmed", language="pl"))
    assert text.startswith("Niedawno problem „") and "[Tak, nadal działa]" in rendered(text, blocks)
    _, blocks = fb.recheck_answered(view_in("reopened", language="vi"), False)
    assert f"Em đã mở lại yêu cầu và báo cho <@{CLAIMER}>." in rendered("", blocks)
    text, _ = fb.pulse_question("Facilities", 7, "vi")
    assert text.startswith("Dạ, em xin hỏi nhanh một câu") and "*Facilities*" in text
    assert fb.pulse_recorded("Facilities", 4, "pl") == "Dziękuję! Ocena dla działu *Facilities*: 4/5."
    summary, blocks = fb.department_feedback("IT", "Za wolno", "pl")  # the department's language
    assert summary == "Anonimowa opinia o dziale IT" and "helploop nie wie, kto to napisał" in rendered("", blocks)
    assert fb.feedback_received(view_in("escalated", language="vi")).startswith("Dạ, cảm ơn anh/chị đã góp ý")


def test_the_feedback_form_carries_its_language_to_the_thank_you():
    modal = fb.feedback_modal([("it", "IT")], lang="pl")
    assert (modal["title"]["text"], modal["submit"]["text"]) == ("Opinia", "Wyślij")
    values = {"department": {"value": {"type": "static_select", "selected_option": {"value": "it"}}},
              "text": {"value": {"type": "plain_text_input", "value": "Dobrze"}},
              "anonymous": {"value": {"type": "checkboxes", "selected_options": []}}}
    payload = SlackSim("http://unused", "secret").view_submission_payload(EMPLOYEE, modal["callback_id"], values)
    payload["view"]["blocks"] = modal["blocks"]
    thanks = acknowledgement(payload)["view"]
    assert thanks["title"]["text"] == "Dziękuję" and rendered("", thanks["blocks"]).startswith("Dziękuję. Opinia")
    payload["view"]["blocks"] = []  # a view that does not say: English
    assert acknowledgement(payload)["view"]["title"]["text"] == "Thank you"


def test_a_vietnamese_home_has_no_english_words_of_the_bot(example_kb):
    own = (HomeItem(view_in("resolved", language="vi")), HomeItem(view_in("closed_confirmed", language="vi")))
    text = _home_text(hb.home_view(HomeData(EMPLOYEE, AT, own, tuple(example_kb.departments.values()), None), "vi"))
    assert "Yêu cầu của anh/chị" in text and "vấn đề đã thực sự được giải quyết chưa ạ?" in text
    assert "[Đã ổn rồi]" in text and "[Vẫn còn lỗi]" in text and "Giờ làm việc: Thứ 2–Thứ 6" in text
    bot_words = re.sub(r"“[^”]*”|<[^>]*>|`[^`]*`|\((?:`\w+`)\)|Covers?:.*|Phụ trách:.*", "", text)
    assert not ENGLISH.search(bot_words), bot_words


def test_polish_queue_ages_and_search_results(example_kb):
    assert [hb.age(timedelta(minutes=m), "pl") for m in (4, 125, 1440 + 60, 3 * 1440)] == [
        "4 min", "2 godz. 5 min", "1 dzień 1 godz.", "3 dni 0 godz."]
    assert [hb.age(timedelta(minutes=m)) for m in (4, 125, 1440 + 60)] == ["4 min", "2 h 5 min", "1 d 1 h"]
    text, blocks = hb.search_blocks("vpn", search(example_kb, "vpn"), "pl")
    shown = rendered(text, blocks)
    assert "Odpowiedzi pasujące do „vpn”" in shown and "Proszę otworzyć https://id.example.com/vpn" in shown
    assert text.startswith("Liczba odpowiedzi: ")
    modal = request_modal(example_kb.departments.values(), lang="pl")
    assert modal["title"]["text"] == "Poproś o pomoc" and "Anuluj" == modal["close"]["text"]
    assert hb.add_message_modal(42, "vi")["title"]["text"] == "Yêu cầu #42"


def test_past_cases_and_the_spike_alert_in_the_departments_language():
    case = PastCase(3, "VPN down", "Restarted the gateway", "Reconnect after 5 min", None, None, AT)
    text, blocks = past_cases_message([case], [None], "pl")
    assert rendered(text, blocks).splitlines() == [
        "*Podobne zgłoszenia rozwiązane wcześniej (i co wtedy zrobiono):*", "#3 “VPN down”",
        "_Zrobiono:_ Restarted the gateway", "_Jak poradzić sobie samodzielnie:_ Reconnect after 5 min",
        "To tylko wskazówka: proszę sprawdzić, czy pasuje do tej sprawy."]
    alert = spike_text(Spike(9, 5, 120, ("IT",), None, "vi"), "vi")
    assert alert.startswith(":rotating_light: 5 người khác nhau đã hỏi cùng một vấn đề trong vòng 2 giờ")
    assert "(không hiển thị nội dung:" in alert and "yêu cầu gần nhất #9" in alert
    assert "w ciągu godziny" in spike_text(Spike(9, 5, 60, ("IT",), "x"), "pl")
