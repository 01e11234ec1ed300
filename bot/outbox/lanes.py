"""Which messages go first when the provider's rate is the bottleneck.

Under saturation (a burst of inbound, a notice to every woman, a wave) every chat's sender waits
for the channel's next turn; the turn goes to the waiting sender in the best lane, in arrival
order within a lane. Danger replies, urgent messages, staff alerts and quick-exit deletions first
(someone may be in danger now, or her screen must be cleared now); then replies to what she wrote
(she is waiting, phone in hand); then notices; then check-in waves (time-bound, but by hours).
"""

from __future__ import annotations

URGENT, REPLY, NOTICE, WAVE = 0, 1, 2, 3
LANE_NAMES = {URGENT: "urgent", REPLY: "reply", NOTICE: "notice", WAVE: "wave"}


def lane_of(kind: str, urgent: bool, is_reply: bool, text_key: str) -> int:
    """The lane of an outbox row, from its columns (read with the chat's queue, before the claim)."""
    if kind in ("delete", "staff_alert") or urgent:
        return URGENT
    if is_reply:
        return REPLY
    # a check-in of a wave (or its reminder), as bot.outbox.budgets counts it
    return WAVE if text_key.startswith("checkin.") else NOTICE
