"""Which questions say the same thing: grouping and nearest texts on constructed questions, in three languages."""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.similar import SAME_QUESTION, Group, Similarity, group, nearest

QUESTIONS = [
    "VPN is down, cannot connect",                 # 0  en: the VPN outage, four ways
    "printer on 3rd floor is jammed",              # 1  en: the printer, two ways
    "cannot connect to the VPN",                   # 2
    "khong ket noi duoc vpn",                      # 3  vi, typed without diacritics
    "is the vpn down?",                            # 4
    "the printer on floor 3 jammed again",         # 5
    "không kết nối được VPN",                      # 6  vi, with diacritics
    "nie moge polaczyc sie z vpn",                 # 7  pl, without diacritics
    "VPN down again??",                            # 8
    "nie mogę połączyć się z VPN",                 # 9  pl, with diacritics
    "how do I get a parking card",                 # 10
    "payslip for march missing",                   # 11
    "where can I get a parking permit",            # 12
    "I did not get my payslip for March",          # 13
    "my laptop screen is broken",                  # 14
]


def _texts(groups: list[Group], texts: list[str] = QUESTIONS) -> list[list[str]]:
    return [[texts[i] for i in g.members] for g in groups]


def test_questions_asking_the_same_thing_are_grouped_largest_first():
    assert _texts(group(QUESTIONS)) == [
        ["VPN is down, cannot connect", "cannot connect to the VPN", "is the vpn down?", "VPN down again??"],
        ["printer on 3rd floor is jammed", "the printer on floor 3 jammed again"],
        ["khong ket noi duoc vpn", "không kết nối được VPN"],
        ["nie moge polaczyc sie z vpn", "nie mogę połączyć się z VPN"],
        ["how do I get a parking card", "where can I get a parking permit"],
        ["payslip for march missing", "I did not get my payslip for March"],
        ["my laptop screen is broken"],
    ]


def test_vietnamese_and_polish_typed_without_diacritics_meet_their_accented_twins():
    sim = Similarity(QUESTIONS)
    assert sim.row(3)[6] > 0.99 and sim.row(7)[9] > 0.99
    assert sim.row(3)[7] < SAME_QUESTION  # a Vietnamese and a Polish question about the VPN stay apart


def test_unrelated_questions_stay_apart():
    sim = Similarity(QUESTIONS)
    for i, j in [(0, 1), (10, 14), (11, 5), (12, 8), (14, 13)]:
        assert sim.row(i)[j] < SAME_QUESTION, (QUESTIONS[i], QUESTIONS[j])


def test_grouping_is_deterministic_and_every_text_is_in_exactly_one_group():
    first = group(QUESTIONS)
    assert group(list(QUESTIONS)) == first
    members = sorted(i for g in first for i in g.members)
    assert members == list(range(len(QUESTIONS)))
    assert all(g.leader == g.members[0] == min(g.members) for g in first)  # the first asked leads


def test_grouping_does_not_depend_on_what_else_is_in_the_batch():
    rng = random.Random(7)
    noise = [f"question about topic {rng.randrange(10**6)} number {n}" for n in range(40)]
    batch = QUESTIONS[:6] + noise
    grouped = _texts(group(batch), batch)
    assert ["VPN is down, cannot connect", "cannot connect to the VPN", "is the vpn down?"] in grouped
    assert ["printer on 3rd floor is jammed", "the printer on floor 3 jammed again"] in grouped


def test_nearest_returns_the_closest_texts_above_the_threshold_best_first():
    resolved = ["printer jammed on the 3rd floor", "is the VPN down for everyone?", "parking card lost",
                "cannot connect to vpn from home"]
    hits = nearest("the vpn is down, cannot connect", resolved, limit=3)
    assert [resolved[i] for i, _ in hits] == ["cannot connect to vpn from home", "is the VPN down for everyone?"]
    assert hits[0][1] >= hits[1][1] >= SAME_QUESTION
    assert nearest("the vpn is down, cannot connect", resolved, limit=1) == hits[:1]


def test_nothing_in_nothing_out():
    assert group([]) == []
    assert nearest("anything", []) == []
    assert nearest("anything", ["a thing"], limit=0) == []
    assert nearest("qqqqqq", ["the printer is jammed"]) == []


WORDS = ["vpn", "down", "jira", "printer", "jammed", "khong", "ket", "noi", "nie", "moge", "haslo", "wifi", "room",
         "floor", "3", "mật", "khẩu", "hasło", "is", "the", "again", "cannot", "connect"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join), max_size=25))
def test_every_text_joins_one_group_and_only_on_a_similar_earlier_text(texts):
    groups = group(texts)
    assert group(texts) == groups
    assert sorted(i for g in groups for i in g.members) == list(range(len(texts)))
    sim = Similarity(texts) if texts else None
    for g in groups:
        assert list(g.members) == sorted(g.members)
        for i in g.members[1:]:
            assert max(sim.row(i, upto=i)[j] for j in g.members if j < i) >= SAME_QUESTION
