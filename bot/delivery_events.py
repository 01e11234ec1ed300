"""Who hears what became of an outbox row: the one list of the outbox's listeners (bot/outbox/events.py),
given to the dispatcher when the service is composed (bot/service.py), so the outbox never imports them."""

from __future__ import annotations

from bot.escalations.delivery import failure_escalation, in_doubt_escalation, recipient_gone_escalation
from bot.notices.hooks import preview_delivered, preview_sent
from bot.outbox.events import DeliveryEvents
from bot.waves.delivery import opening_delivered

DELIVERY_EVENTS = DeliveryEvents(
    sent=(opening_delivered, preview_sent),  # a wave counts as sent only once its opening went out; a notice too
    delivered=(preview_delivered,),  # a notice's timeline: on her phone
    failed=(failure_escalation,),
    in_doubt=(in_doubt_escalation,),
    recipient_gone=(recipient_gone_escalation,),
)
