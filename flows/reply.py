"""What the bot says: one reply, its buttons and any file sent with it.

In flows/ because flows write most replies; bot/ reads the same types, so neither package imports the other back.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """A value at a boundary: frozen, so nothing downstream changes what another part was handed."""

    model_config = ConfigDict(frozen=True)


class Button(Frozen):
    """A choice shown under a question; `payload` comes back when it is pressed."""

    label: str
    payload: str


class Attachment(BaseModel):
    """A file sent alongside a reply (the digest's chart). Bytes travel as base64 in the outbox's JSON."""

    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    filename: str
    media_type: str
    data: bytes
    alt_text: str | None = None
    """What the image shows, in words, for someone who can't see it: each transport sends it the platform's way
    (Slack's alt text, Telegram's caption)."""


class Reply(Frozen):
    """One message to a person. One question per reply: the wording rules depend on it."""

    text: str
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None
    markdown: bool = False  # the coach's digest and caseload: headings, bold and bullets, shown natively
    link_preview: bool = True
    """False: the platform must not fetch the reply's links to preview them (a one-time sign-in link would be
    used up by the platform's fetch before the person opens it)."""
