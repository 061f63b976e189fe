"""Socket Mode envelopes run through the same app and give the same behaviour as HTTP."""
from __future__ import annotations

from handlers.action_ids import ActionId
from tests.socket import dispatch_envelope
from bot.words import Resolution, Status
from tests.flows import EMPLOYEE, EMPLOYEE_DM, kb_phrasing, reload, request_for, text_of, wait_call, wait_recorded
from tests.harness import running


def test_socket_mode_message_and_button_close_the_loop(sqlite_url):
    with running(sqlite_url) as h:
        event = h.sim.message_payload(EMPLOYEE, kb_phrasing(h, "it-printer"), EMPLOYEE_DM)
        response = dispatch_envelope(h.app, h.sim.socket_mode_envelope("events_api", event))
        assert response.status == 200
        request = wait_recorded(h, request_for(h, EMPLOYEE_DM, event["event"]["ts"]).id, "answer_ts")
        assert "[That solved it]" in text_of(wait_call(h, 0, "chat.postMessage", EMPLOYEE_DM))

        click = h.sim.block_action_payload(EMPLOYEE, str(ActionId.SOLVED), str(request.id), EMPLOYEE_DM,
                                           request.answer_ts, None, None, None, "actions")
        assert dispatch_envelope(h.app, h.sim.socket_mode_envelope("interactive", click)).status == 200
        wait_call(h, 0, "chat.update", EMPLOYEE_DM, "Glad it helped")
        done = reload(h, request.id)
        assert (done.status, done.resolution) == (Status.CLOSED, Resolution.SELF_SERVED)


def test_socket_mode_redelivery_makes_one_request(sqlite_url):
    with running(sqlite_url) as h:
        event = h.sim.message_payload(EMPLOYEE, kb_phrasing(h, "it-printer"), EMPLOYEE_DM)
        dispatch_envelope(h.app, h.sim.socket_mode_envelope("events_api", event))
        wait_recorded(h, request_for(h, EMPLOYEE_DM, event["event"]["ts"]).id, "answer_ts")
        again = h.sim.socket_mode_envelope("events_api", event, retry_attempt=1, retry_reason="timeout")
        assert dispatch_envelope(h.app, again).status == 200
        later = h.sim.message_payload(EMPLOYEE, kb_phrasing(h, "it-vpn-password-reset"), EMPLOYEE_DM)
        dispatch_envelope(h.app, h.sim.socket_mode_envelope("events_api", later))
        wait_recorded(h, request_for(h, EMPLOYEE_DM, later["event"]["ts"]).id, "answer_ts")
        assert len(h.slack.calls("chat.postMessage")) == 2
