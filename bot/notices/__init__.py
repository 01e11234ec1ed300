"""Risk notices: an event in his programme becomes a notice to her, reviewed by workers (urgent
kinds by two), sent through the outbox behind her cover's neutral preview, opened after her PIN,
acknowledged, and escalated to a worker when it cannot reach her or is not acknowledged in time.

    urgency.py    which kinds are urgent (pure, from content/programme_events.yaml)
    texts.py      the templates and messages, rendered for her locale and cover (pure)
    timeline.py   a step on a notice's timeline, audited
    drafting.py   draft_for_event: one draft per event and survivor
    review.py     edit, approve, second approval (four eyes), withdraw
    reach.py      may a notice reach her at all? (pure)
    delivery.py   queue the neutral preview in the outbox, or escalate "tell her by phone"
    her_side.py   her "1" / Read, her PIN, the text, Got it / Ring me
    watch.py      the safety tick: no acknowledgement in time, a preview that never left
    hooks.py      the outbox tells a notice it was sent or delivered
"""
