"""Frozen boundary types: what transports hand the engine and what the engine hands back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, model_validator


class ConversationKey(BaseModel):
    """Who and where: one coachee (or coach) in one chat on one transport."""

    model_config = ConfigDict(frozen=True)

    transport: str
    user: str
    chat: str


class Button(BaseModel):
    """A choice shown under a question; `payload` comes back when it is pressed."""

    model_config = ConfigDict(frozen=True)

    label: str
    payload: str


class Attachment(BaseModel):
    """A file sent alongside a reply (the digest's chart). Bytes travel as base64 in the outbox's JSON."""

    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    filename: str
    media_type: str
    data: bytes


class Reply(BaseModel):
    """One message to a person. One question per reply: the wording rules depend on it."""

    model_config = ConfigDict(frozen=True)

    text: str
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None
    markdown: bool = False  # the coach's digest and caseload: headings, bold and bullets, shown natively


class InboundMessage(BaseModel):
    """One message from a person: free text, the payload of a pressed button, or something the bot can't read.

    `unsupported` names what arrived instead of text ("photo", "sticker", "edited"), so the engine can answer
    kindly through the outbox rather than the transport replying on its own.
    """

    model_config = ConfigDict(frozen=True)

    key: ConversationKey
    message_id: str
    text: str | None = None
    payload: str | None = None
    received_at: datetime
    display_name: str | None = None
    unsupported: str | None = None

    @model_validator(mode="after")
    def _text_or_payload(self) -> InboundMessage:
        if self.text is None and self.payload is None and self.unsupported is None:
            raise ValueError("an inbound message needs text, a button payload or an unsupported kind")
        return self


class Outbound(BaseModel):
    """A reply addressed to a chat, as the outbox sender hands it to a transport."""

    model_config = ConfigDict(frozen=True)

    key: ConversationKey
    reply: Reply
    outbox_id: int
