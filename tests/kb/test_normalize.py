"""Folding and tokenising."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kb import fold, tokenize
from kb.normalize import surface_tokens


def test_vietnamese() -> None:
    assert fold("mật khẩu VPN hết hạn") == "mat khau vpn het han"
    assert fold("Xin nghỉ phép như thế nào?") == "xin nghi phep nhu the nao"


def test_polish() -> None:
    assert fold("jak zresetować hasło") == "jak zresetowac haslo"
    assert fold("ZAŻÓŁĆ GĘŚLĄ JAŹŃ") == "zazolc gesla jazn"


def test_letters_that_do_not_decompose() -> None:
    assert fold("Đà Nẵng, đường") == "da nang duong"
    assert fold("Łódź, łóżko") == "lodz lozko"


def test_punctuation_emoji_whitespace() -> None:
    assert fold("  VPN!!!  doesn't\twork 🎉🎉 (again)…\n") == "vpn doesn t work again"
    assert fold("🙂 🎉 ?!") == ""
    assert tokenize("Wi-Fi: guest/visitor") == ["wi", "fi", "guest", "visitor"]


def test_nfc_and_nfd_inputs_fold_alike() -> None:
    composed = "hết hạn"
    decomposed = "he\u0302\u0301t ha\u0323n"
    assert composed != decomposed
    assert fold(composed) == fold(decomposed) == "het han"


def test_surface_tokens_keep_accents() -> None:
    assert surface_tokens("Hết HẠN, ok") == [("het", "hết"), ("han", "hạn"), ("ok", "ok")]


@given(st.text())
def test_fold_is_idempotent_and_clean(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert once == " ".join(once.split())
