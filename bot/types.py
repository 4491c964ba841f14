"""Frozen boundary types: what transports hand the engine and what the engine hands back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, model_validator

# What a reply is belongs to the flows that write most of them; the engine and transports read it from here.
from flows.reply import Attachment as Attachment
from flows.reply import Button as Button
from flows.reply import Reply as Reply


class ConversationKey(BaseModel):
    """Who and where: one coachee (or coach) in one chat on one transport."""

    model_config = ConfigDict(frozen=True)

    transport: str
    user: str
    chat: str


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
