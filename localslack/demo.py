"""`helploop demo`: the whole loop on this machine, no Slack account needed.

The real app (HTTP, signed requests), a real SQLite database, the real scheduler ticking while the
clock is moved forward, and a local stand-in for the Slack Web API whose calls become the transcript.
"""
from __future__ import annotations

import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from wiring.app import Helploop, build
from bot.clock import ManualClock
from localslack.webapi import LocalSlack
from bot.measures import compute_report, flat, readable
from wiring.scheduler import start_scheduler
from wiring.server import Server
from wiring.settings import EXAMPLE_KB_DIR, Settings
from localslack.sender import SlackSim
from storage import queries
from storage.measure_queries import Selection

MENTION = re.compile(r"<@([A-Z0-9]+)>")
SECRET = "demo-signing-secret"
START = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # Monday, 09:30 in Warsaw
PEOPLE = {"U0HLEMP": "Ewa (employee)", "U0HLLAN": "Lan (employee)", "U0HLTOM": "Tom (employee)",
          "U0HLANNA": "Anna (IT)", "U0HLPIOTR": "Piotr (IT)", "U0HLMINH": "Minh (IT)",
          "U0HLKASIA": "Kasia (IT)", "U0HLMAGDA": "Magda (HR)", "U0HLMAREK": "Marek (Finance)",
          "U0HLTRANG": "Trang (Finance)",
          "U0HLBOSS": "Bogdan (IT manager)", "U0HLBOT": "helploop"}


class Demo:
    """Drives the scripted scenes and prints what everyone would see in Slack."""

    def __init__(self, app: Helploop, slack: LocalSlack, sim: SlackSim, clock: ManualClock, out: TextIO):
        self.app, self.slack, self.sim, self.clock, self.out = app, slack, sim, clock, out
        self._printed = 0

    def say(self, text: str) -> None:
        """A narrator line."""
        print(f"\n── {text}", file=self.out)

    def user(self, who: str, where: str, text: str) -> None:
        """What a person does, in the transcript's style."""
        print(f"{where}  {PEOPLE.get(who, who)}: {text}", file=self.out)

    def settle(self, quiet: float = 0.4, limit: float = 10.0) -> None:
        """Wait until the bot stops calling Slack, then print the new transcript lines."""
        deadline = time.monotonic() + limit
        count, since = len(self.slack.calls()), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now_count = len(self.slack.calls())
            if now_count != count:
                count, since = now_count, time.monotonic()
            elif time.monotonic() - since >= quiet:
                break
        lines = self.slack.transcript()
        for line in lines[self._printed:]:
            print(MENTION.sub(lambda m: "@" + PEOPLE.get(m.group(1), m.group(1)).split(" (")[0], line),
                  file=self.out)
        self._printed = len(lines)

    def request(self, channel: str, ts: str):
        """The request stored for a message."""
        with self.app.sessions.begin() as session:
            return queries.find_request(session, channel, ts)

    def click(self, who: str, label: str, action: str, request, channel: str, ts: str | None) -> None:
        """Press a button on one of the bot's messages."""
        self.user(who, f"#{channel}" if channel.startswith("C") else "(DM)", f"clicks [{label}]")
        self.sim.block_action(who, action, str(request.id), channel, ts)
        self.settle()

    def says(self, who: str, channel: str, text: str, thread_ts: str | None) -> str:
        """Someone writes a message (in a thread when `thread_ts` is given); returns its ts."""
        where = f"#{channel}" if channel.startswith("C") else "(DM)"
        self.user(who, where + (" (thread)" if thread_ts else ""), text)
        kind = "channel" if channel.startswith("C") else "im"
        ts = self.sim.message(who, text, channel, channel_type=kind, thread_ts=thread_ts).ts
        self.settle()
        return ts

    def resolve(self, who: str, request, done: str, tip: str = "") -> None:
        """Click Resolve and fill in the short form it opens."""
        self.click(who, "Resolve", "helploop.triage.resolve", request, request.triage_channel, request.triage_ts)
        self.user(who, "(form)", f"what was done: {done}" + (f" · next time: {tip}" if tip else ""))
        values = {"done": {"value": {"type": "plain_text_input", "value": done}},
                  "self_help": {"value": {"type": "plain_text_input", "value": tip or None}}}
        self.sim.view_submission(who, "helploop.resolve", values, private_metadata=str(request.id))
        self.settle()

    def wait_until(self, minutes: float) -> None:
        """Move the clock forward; the real scheduler's next tick runs what became due."""
        self.clock.advance(timedelta(minutes=minutes))
        local = self.clock.now().strftime("%a %d %b %H:%M UTC")
        self.say(f"time passes: {minutes / 60:g} h later ({local})")
        time.sleep(0.5)  # a few scheduler ticks
        self.settle()


def run_demo(kb_dir: Path | None = None, out: TextIO | None = None) -> int:
    """Run the scripted demo and print the transcript; returns the exit code."""
    import sys

    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="helploop-demo-") as tmp, LocalSlack() as slack:
        for user_id, name in PEOPLE.items():
            slack.add_user(user_id, real_name=name)
        clock = ManualClock(START)
        settings = Settings(slack_bot_token="xoxb-demo", slack_signing_secret=SECRET,
                            slack_api_url=slack.base_url, database_url=f"sqlite:///{Path(tmp) / 'demo.db'}",
                            kb_dir=kb_dir or EXAMPLE_KB_DIR)
        app = build(settings, clock=clock)
        server = Server(app.wsgi).start()
        scheduler = start_scheduler(app.tick, 0.1, app.sweep, 0.1)
        try:
            print(f"helploop demo: app on {server.url}/slack/events, stand-in Slack Web API on "
                  f"{slack.base_url}, database {settings.database_url}, KB {settings.kb_dir} "
                  f"({len(app.kb.entries)} entries)", file=out)
            demo = Demo(app, slack, SlackSim(f"{server.url}/slack/events", SECRET,
                                             response_urls=slack.response_url), clock, out)
            _script(demo)
            _print_metrics(demo)
        finally:
            scheduler.shutdown(wait=False)
            server.close()
            app.close()
    return 0


def _script(demo: Demo) -> None:
    demo.say("0. Who is on call? (slash command, answered only to the person who asked)")
    demo.user("U0HLLAN", "#general", "/helploop oncall it")
    demo.sim.slash_command("U0HLLAN", "/helploop", "oncall it", "C0HLGENERAL")
    demo.settle()

    demo.say("1. A question the knowledge base answers (Polish, typed without diacritics)")
    question = "jak zresetowac haslo do vpn?"
    demo.user("U0HLEMP", "(DM to helploop)", question)
    sent = demo.sim.message("U0HLEMP", question, "D0HLEMP")
    demo.settle()
    request = demo.request("D0HLEMP", sent.ts)
    demo.click("U0HLEMP", "That solved it", "helploop.answer.solved", request, "D0HLEMP", request.answer_ts)

    demo.say("1b. A vague question: two entries are close, so the employee picks")
    demo.user("U0HLEMP", "(DM to helploop)", "vpn")
    sent = demo.sim.message("U0HLEMP", "vpn", "D0HLEMP")
    demo.settle()
    request = demo.request("D0HLEMP", sent.ts)
    offer = next(c for c in reversed(demo.slack.calls("chat.postMessage")) if c.args.get("channel") == "D0HLEMP")
    first = offer.args["blocks"][1]["elements"][0]
    demo.user("U0HLEMP", "(DM)", f"clicks [{first['text']['text']}]")
    demo.sim.block_action("U0HLEMP", first["action_id"], first["value"], "D0HLEMP", request.answer_ts)
    demo.settle()
    demo.click("U0HLEMP", "That solved it", "helploop.answer.solved", request, "D0HLEMP", request.answer_ts)

    demo.say("2. A question nobody wrote an answer for: escalated to the on-call person")
    question = "The projector in the Saigon room buzzes loudly during every video call"
    demo.user("U0HLLAN", "#general", f"@helploop {question}")
    sent = demo.sim.app_mention("U0HLLAN", f"<@U0HLBOT> {question}", "C0HLGENERAL")
    demo.settle()
    request = demo.request("C0HLGENERAL", sent.ts)
    triage = request.triage_channel
    demo.wait_until(6)  # the first human response is measured from here (the bot's own reply does not count)
    demo.say("Someone outside the department tries to claim it, then two of its staff click at once")
    demo.click("U0HLMAGDA", "Claim", "helploop.triage.claim", request, triage, request.triage_ts)
    staff = demo.app.kb.departments[request.department_id].staff
    demo.click(staff[0], "Claim", "helploop.triage.claim", request, triage, request.triage_ts)
    demo.click(staff[1], "Claim", "helploop.triage.claim", request, triage, request.triage_ts)
    demo.say("They talk through the request: the triage thread and the employee's thread are relayed both ways")
    demo.says(staff[0], triage, "Does it buzz with the lights off too? Which cable is plugged in?", request.triage_ts)
    demo.says("U0HLLAN", "C0HLGENERAL", "Yes, even with the lights off. It's the grey HDMI cable.", sent.ts)
    demo.says(staff[0], triage, "// probably the HDMI extender: ordering a new one (internal note)", request.triage_ts)
    demo.wait_until(40)
    demo.resolve(staff[0], request, "Replaced the HDMI extender behind the screen.",
                 "If it buzzes again, unplug the extender for ten seconds.")

    delay = demo.app.kb.departments[request.department_id].followup_delay_hours
    demo.wait_until(delay * 60 + 1)
    request = demo.request("C0HLGENERAL", sent.ts)
    demo.say("The employee says it is not fixed: reopened, and the claimer is pinged")
    demo.click("U0HLLAN", "No, still broken", "helploop.followup.no", request, "C0HLGENERAL", request.followup_ts)
    demo.says("U0HLLAN", "C0HLGENERAL", "It only buzzes in the first minute of a call now.", sent.ts)
    demo.resolve(staff[0], request, "Swapped the cable too.")
    demo.wait_until(delay * 60 + 1)
    request = demo.request("C0HLGENERAL", sent.ts)
    demo.click("U0HLLAN", "Yes, it's fixed", "helploop.followup.yes", request, "C0HLGENERAL", request.followup_ts)
    _unclaimed_then_transferred(demo)


def _unclaimed_then_transferred(demo: Demo) -> None:
    demo.say("3. Nobody claims a request: the chain pages the backup, then the team (one status line)")
    question = "The laptop docking station I bought myself, can the company cover it?"
    demo.user("U0HLTOM", "(DM to helploop)", question)
    sent = demo.sim.message("U0HLTOM", question, "D0HLTOM")
    demo.settle()
    timeout = demo.app.kb.departments["it"].escalation.ack_timeout_minutes
    demo.wait_until(timeout + 0.1)
    demo.wait_until(timeout)
    request = demo.request("D0HLTOM", sent.ts)
    demo.click("U0HLANNA", "Claim", "helploop.triage.claim", request, request.triage_channel, request.triage_ts)

    demo.say("4. It is really a Finance question: Anna transfers it with a note")
    demo.click("U0HLANNA", "Transfer", "helploop.triage.transfer", request, request.triage_channel,
               request.triage_ts)
    modal = demo.slack.calls("views.open")[-1].args["view"]
    finance = next(o for o in modal["blocks"][1]["element"]["options"] if o["value"] == "finance")
    note = "Reimbursing equipment is an expense claim, Finance handles those."
    demo.user("U0HLANNA", "(modal)", f"picks {finance['text']['text']}, note: {note}")
    demo.sim.view_submission("U0HLANNA", modal["callback_id"], {
        "department": {"value": {"type": "static_select", "selected_option": finance}},
        "note": {"value": {"type": "plain_text_input", "value": note}}}, modal["private_metadata"])
    demo.settle()
    request = demo.request("D0HLTOM", sent.ts)
    demo.click("U0HLMAREK", "Claim", "helploop.triage.claim", request, request.triage_channel, request.triage_ts)


SHOWN_MEASURES = ("requests", "self_service_confirmed", "self_service_rate", "false_answers", "escalated", "first_response_median",
                  "first_response_median_working", "handling_median", "one_touch_rate", "reopen_rate", "transferred",
                  "bounced", "open")


def _print_metrics(demo: Demo) -> None:
    demo.say("Service measures (`helploop metrics` prints all of them; `helploop report` per department and week)")
    report = compute_report(demo.app.sessions, demo.app.kb.departments, Selection(), demo.clock.now())
    figures = flat(report.overall)
    for measure in SHOWN_MEASURES:
        print(f"  {measure.replace('_', ' '):<32} {readable(measure, figures[measure])}", file=demo.out)
