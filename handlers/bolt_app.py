"""The Bolt app the inbox worker runs stored requests through (verification already happened at the edge)."""
from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from handlers.commands import register_commands
from handlers.intake import Intake
from handlers.listeners import register
from handlers.services import Services


def build_bolt(client: WebClient, services: Services, intake: Intake) -> App:
    """A Bolt app that runs listeners synchronously in the caller (the inbox worker) and never acks itself."""
    # process_before_response: the listener runs to the end inside dispatch(), on the inbox worker;
    # the HTTP ack was already sent by handlers.edge after the request was stored.
    bolt = App(client=client, process_before_response=True, request_verification_enabled=False,
               signing_secret="verified-at-the-edge")
    register(bolt, services, intake)
    register_commands(bolt, services)
    return bolt
