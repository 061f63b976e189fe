"""handlers/oncall_blocks.py: `/helploop oncall` and `/helploop help` replies."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers import oncall_blocks as oc
from tests.unit.support import AT, buttons, rendered

FOOTER = "Schedules live in departments.yaml; times are each department's local time."


def test_roster_of_every_department_says_who_is_on_call_until_when_and_who_is_next(example_kb):
    # AT is Monday 2 March 2026, 10:00 in Warsaw (16:00 in Ho Chi Minh City): week 8 of every rotation.
    text, blocks = oc.roster_message(example_kb.departments.values(), AT)
    assert rendered(text, blocks).splitlines() == [
        ":telephone_receiver: *Who is on call*",
        "*IT* (`it`) · Europe/Warsaw · in working hours",
        "• *primary*: <@U0HLPIOTR> until Mon 09 Mar 09:00 CET, then <@U0HLANNA>",
        "• *backup*: <@U0HLKASIA> until Mon 09 Mar 09:00 CET, then <@U0HLPIOTR>",
        "*People & HR* (`hr`) · Europe/Warsaw",  # no working hours configured: no hours note
        "• *primary*: <@U0HLMAGDA> until Mon 09 Mar 10:00 CET, then <@U0HLLINH>",
        "*Facilities* (`facilities`) · Asia/Ho_Chi_Minh · in working hours",
        "• *primary*: <@U0HLEWA> until Mon 09 Mar 08:30 +07, then <@U0HLTHAO>",
        "*Finance* (`finance`) · Europe/Warsaw",
        "• *primary*: <@U0HLAGATA> until Mon 09 Mar 09:00 CET, then <@U0HLMAREK>",
        FOOTER,
    ]
    assert text == ("On call: IT: primary <@U0HLPIOTR>, backup <@U0HLKASIA>; People &amp; HR: primary <@U0HLMAGDA>; "
                    "Facilities: primary <@U0HLEWA>; Finance: primary <@U0HLAGATA>")
    assert buttons(blocks) == []


@pytest.mark.parametrize("at, hours, primary", [
    (datetime(2026, 12, 22, 22, 0, tzinfo=UTC), "outside working hours",
     "• *primary*: <@U0HLANNA> (covering) until Mon 28 Dec 09:00 CET, then <@U0HLANNA>"),
    (datetime(2026, 3, 2, 22, 0, tzinfo=UTC), "outside working hours",
     "• *primary*: <@U0HLPIOTR> until Mon 09 Mar 09:00 CET, then <@U0HLANNA>"),
    (datetime(2026, 12, 24, 10, 0, tzinfo=UTC), "outside working hours",  # a holiday, office hours
     "• *primary*: <@U0HLANNA> (covering) until Mon 28 Dec 09:00 CET, then <@U0HLANNA>"),
], ids=["override-at-night", "night", "holiday"])
def test_one_department_roster_shows_overrides_and_working_hours(example_kb, at, hours, primary):
    text, blocks = oc.roster_message([example_kb.departments["it"]], at)
    lines = rendered(text, blocks).splitlines()
    assert lines[1] == f"*IT* (`it`) · Europe/Warsaw · {hours}"
    assert lines[2] == primary
    assert len(blocks) == 3 and lines[-1] == FOOTER


@pytest.mark.parametrize("unknown, first_line", [
    (None, "*helploop* commands:"),
    ("foo bar", "Sorry, I don't know `/helploop foo bar`. *helploop* commands:"),
], ids=["help", "unknown-subcommand"])
def test_usage_message_lists_every_command(unknown, first_line):
    text, blocks = oc.usage_message(unknown)
    lines = rendered(text, blocks).splitlines()
    assert lines[0] == first_line
    assert [line.split(" — ")[0] for line in lines[1:]] == [
        "• `/helploop`", "• `/helploop <your question>`", "• `/helploop anonymous <your question>`",
        "• `/helploop search <words>`", "• `/helploop feedback [department]`", "• `/helploop oncall`",
        "• `/helploop oncall <department>`", "• `/helploop help`", "• helploop's *Home* tab"]
    assert text == blocks[0]["text"]["text"]


def test_unknown_department_names_the_known_ones(example_kb):
    text, blocks = oc.unknown_department_message("payroll", example_kb.departments)
    assert rendered(text, blocks) == "There is no department `payroll`. Try one of: `it`, `hr`, `facilities`, `finance`."
