"""Build signed Slack requests (Events API, interactivity, slash commands) for tests.

Signing is done exactly the way Bolt's own test-suite does it: the body is signed with
``slack_sdk.signature.SignatureVerifier(secret).generate_signature(timestamp=..., body=...)``
and sent with ``X-Slack-Signature`` / ``X-Slack-Request-Timestamp``::

    signer = SlackRequestSigner(SIGNING_SECRET)
    req = signer.event(message_im_event("hi", user="U1", channel="D1"))
    await session.post(url, data=req.body, headers=req.headers)

    signer.interactivity(block_actions_payload("approve", ...))   # form-encoded payload=...
    signer.event(event, stale=True)          # timestamp 10 minutes old -> Bolt answers 401
    signer.event(event, wrong_secret=True)   # signed with another secret -> 401
    signer.event(event, retry_num=1)         # adds X-Slack-Retry-Num / X-Slack-Retry-Reason

Note: Bolt does not de-duplicate Slack's retries; ``retry_num`` only adds the headers.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

JsonDict = dict[str, Any]

STALE_SECONDS = 10 * 60  # Bolt/slack_sdk reject timestamps more than 5 minutes away from now
JSON_CONTENT_TYPE = "application/json"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class SignedRequest:
    body: str
    headers: dict[str, str]

    @property
    def content(self) -> bytes:
        return self.body.encode("utf-8")


def sign(
    body: str,
    signing_secret: str,
    *,
    content_type: str,
    timestamp: int | None = None,
    stale: bool = False,
    wrong_secret: bool = False,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> SignedRequest:
    """Sign ``body`` like Slack does. ``stale`` / ``wrong_secret`` produce requests Bolt must reject."""
    ts = int(time.time()) if timestamp is None else timestamp
    if stale:
        ts -= STALE_SECONDS
    secret = signing_secret if not wrong_secret else signing_secret + "-wrong"
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)
    assert signature is not None
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature,
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    return SignedRequest(body=body, headers=headers)


# -- bodies ------------------------------------------------------------------------
def event_envelope(
    event: JsonDict,
    *,
    team_id: str = "T0FAKE",
    api_app_id: str = "A0FAKE",
    bot_user_id: str = "U0BOT",
    event_id: str | None = None,
    event_time: int | None = None,
) -> JsonDict:
    """The ``event_callback`` envelope the Events API POSTs."""
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def message_im_event(
    text: str, *, user: str = "U0USER", channel: str = "D0USER", ts: str | None = None
) -> JsonDict:
    """A ``message`` event in a DM (what a ``message.im`` subscription delivers)."""
    ts = ts or f"{time.time():.6f}"
    return {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
        "client_msg_id": secrets.token_hex(8),
    }


def block_actions_payload(
    action_id: str,
    *,
    value: str = "",
    user_id: str = "U0USER",
    channel_id: str = "D0USER",
    message_ts: str = "1700000000.000100",
    message_text: str = "",
    block_id: str = "actions",
    team_id: str = "T0FAKE",
    api_app_id: str = "A0FAKE",
    response_url: str | None = None,
    button_text: str = "Button",
) -> JsonDict:
    """A ``block_actions`` payload for a button click on a bot message.

    ``response_url`` defaults to none; use ``FakeSlack.response_url()`` if the app calls ``respond()``.
    """
    now = f"{time.time():.6f}"
    payload: JsonDict = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "tester", "name": "tester", "team_id": team_id},
        "api_app_id": api_app_id,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}",
        "team": {"id": team_id, "domain": "fake-team"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "directmessage"},
        "message": {
            "type": "message",
            "ts": message_ts,
            "text": message_text,
            "user": "U0BOT",
            "bot_id": "B0BOT",
        },
        "state": {"values": {}},
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": button_text, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": now,
            }
        ],
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


class SlackRequestSigner:
    """Convenience wrapper that remembers the signing secret.

    Every method accepts the signing options of :func:`sign`: ``timestamp``, ``stale``,
    ``wrong_secret``, ``retry_num``, ``retry_reason``.
    """

    def __init__(self, signing_secret: str) -> None:
        self.signing_secret = signing_secret

    def json(self, body: JsonDict, **options: Any) -> SignedRequest:
        return sign(json.dumps(body), self.signing_secret, content_type=JSON_CONTENT_TYPE, **options)

    def form(self, fields: dict[str, str], **options: Any) -> SignedRequest:
        return sign(urlencode(fields), self.signing_secret, content_type=FORM_CONTENT_TYPE, **options)

    def event(self, event: JsonDict, *, envelope: JsonDict | None = None, **options: Any) -> SignedRequest:
        """An Events API request for ``event`` (wrapped with :func:`event_envelope` defaults)."""
        body = {**event_envelope(event), **(envelope or {})}
        return self.json(body, **options)

    def url_verification(self, challenge: str, **options: Any) -> SignedRequest:
        body = {"token": "legacy-verification-token", "challenge": challenge, "type": "url_verification"}
        return self.json(body, **options)

    def interactivity(self, payload: JsonDict, **options: Any) -> SignedRequest:
        """An interactivity request: form-encoded ``payload=<json>`` (block_actions, view_submission...)."""
        return self.form({"payload": json.dumps(payload)}, **options)

    def slash_command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str = "U0USER",
        channel_id: str = "D0USER",
        team_id: str = "T0FAKE",
        response_url: str | None = None,
        **options: Any,
    ) -> SignedRequest:
        fields = {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "channel_id": channel_id,
            "user_id": user_id,
            "command": command,
            "text": text,
            "trigger_id": f"{int(time.time())}.{secrets.token_hex(8)}",
        }
        if response_url is not None:
            fields["response_url"] = response_url
        return self.form(fields, **options)
