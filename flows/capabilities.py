"""What a channel can do, as data: the one way to ask.

Flows, safety's callers, the outbox, alerts, enrolment, the console and the CLI ask these, never a
channel's name, so a new channel is its folder plus one entry in bot/channels/registry.py (which holds
each channel's capabilities). Flows get them through `Context.caps` (the engine fills it from the
registry) and so never import a channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

ExitAction = Literal["delete_chat", "pause_outbound"]


@dataclass(frozen=True)
class ChannelCapabilities:
    # messages (ours and hers) can be taken off her screen: a chat app can, within `delete_window`;
    # SMS never can (a text stays on her phone until she deletes it), so whoever reads her thread
    # reads everything either side ever sent. What a flow asks her to type, and what it promises to
    # remove, depends on this.
    deletes_messages: bool
    # what EXIT can do: empty the chat down to one cover message, or pause our messages for a while
    exit: ExitAction
    # options as buttons under the message; else numbered lines she answers with the number
    inline_buttons: bool
    edits: bool  # a sent message can be changed (a spent keyboard taken off)
    max_length: int  # characters one message may hold
    preview_chars: int  # what a lock screen or chat list shows of a message, at most
    provider_rate: float  # the provider's documented ceiling, messages per second (the pace is configured)
    provider_chat_rate: float | None = None  # per chat, where the provider limits it
    delete_window: timedelta | None = None  # how long after sending a message can still be deleted (None: always)
    # words the carrier itself takes as an opt-out: they stop her messages, and after STOP one
    # confirmation only, then silence (the carrier refuses more)
    carrier_stop_words: frozenset[str] = frozenset()
    delivery_receipts: bool = False  # the provider reports delivery (a send in doubt can be settled)
    deep_link: str | None = None  # invitation link, formatted with {bot} and {code}
    # her address is her phone number: we may text her first (an invitation's opt-in, no code
    # needed), and a call-back can be to "this number"
    phone_address: bool = False
    provider_lookup: bool = False  # can a worker ask the provider whether a send in doubt went out?
    in_doubt_hint: str = "ask her, or decide whether to resend"  # how a worker learns whether a send in doubt went out

    @property
    def silent_after_stop(self) -> bool:
        return bool(self.carrier_stop_words)

