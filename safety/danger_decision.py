"""The danger decision: alert, ask, or nothing, from the danger net, the classifier and explicit cues.

Why a decision and not a label: a missed "he is here" can cost a life, a false urgent alert
costs a worker's time, and between the two there is a cheap third answer: ask her, in cover
wording, "Do you need help right now? 1 Yes 2 No". A yes is danger; silence from someone whose
text scored above the floor still reaches the team (scheduler/safety_jobs.py).

The rule, in order (``p`` is the classifier's probability of ``danger_now`` from its ranking,
whatever intent won; cues are matched on the danger net's normalised text):

1. ALERT if the danger net fired (its lexicon handles its own negations with ``unless``).
2. A message that explicitly denies danger ("I'm not in danger", "he isn't here", "mir geht's
   gut", "er ist nicht da") and names no present harm is NONE below ``P_ASK_DESPITE_DENIAL``
   and ASK above.
3. ALERT if ``p >= P_ALERT``.
4. ALERT if ``p >= P_ALERT_WITH_CUES`` and the text names harm or his presence (hit, knife,
   outside, at the door, locked in, kill...) anchored in the present ("now", "still", "again",
   "gerade", "immer noch", "schon wieder", or a present-tense presence/harm verb). This is the
   explicit tense rule: a past-tense verb does not outweigh "now/still/again".
5. ASK if ``p >= P_ASK`` (``P_ASK_PAST_ONLY`` when the text is placed in the past only) and
   the text shows any cue (harm, his presence, a present anchor, a call for help however spelt)
   or the model's top intent is danger, fear or an incident (out-of-domain text such as "meet
   me at the bakery" spreads a little probability over every intent: that alone never asks); or if
   the text names harm or his presence, does not place it in the past only ("last week",
   "gestern" without any present anchor), and either is anchored in the present, names
   violence, or the model gives danger at least ``P_CUE_FLOOR``.
6. NONE otherwise.

The score kept with an ASK is ``max(p, CUE_SCORE)`` when cues fired; every ASK is above
``P_ASK``, the floor for the unanswered-question alert: every question asked is held as an
urgent escalation that opens if she does not answer (flows/danger_check.py).
Pure logic: no I/O, no logging; the decision carries rule names, never the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from content.text import fold_for_danger
from safety.danger_net import DangerSignal

Action = Literal["alert", "ask", "none"]
DANGER_INTENT = "danger_now"

P_ALERT = 0.7
P_ALERT_WITH_CUES = 0.25
P_ASK = 0.15
P_ASK_PAST_ONLY = 0.3
P_ASK_DESPITE_DENIAL = 0.5
CUE_SCORE = 0.35
P_CUE_FLOOR = 0.05


@dataclass(frozen=True)
class DangerDecision:
    """What to do about one message. ``reason`` is a rule name, never text."""

    action: Action
    score: float
    reason: str

    @property
    def caught(self) -> bool:
        """Alerted at once or asked: either way a person or the question is on its way."""
        return self.action != "none"


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])")


# Matched against content.text.fold_for_danger(text): lower case, no apostrophes, umlauts folded
# to the base letter ("tür" -> "tur", "schlägt" -> "schlagt"), punctuation gone.
PRESENT = _words(
    "now", "nw", "right now", "rn", "atm", "still", "again", "tonight", "2nite", "currently", "at the moment",
    "just now", "as we speak", "this minute", "keeps?", "wont stop", "won t stop",
    "today", "jetzt", "jez", "gerade", "heute", "heut", "grad", "grade", "immer noch", "noch", "schon wieder",
    "wieder", "heute nacht",
    "gleich", "sofort", "momentan", "hort nicht auf",
)
PAST_ONLY = _words(
    "last (?:week|month|year|night|time|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    "yesterday", "ago", "on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)", "at the weekend",
    "over the weekend", "at christmas", "earlier this (?:week|month|year)", "used to", "back then",
    "letzte[nrs]? (?:woche|monat|jahr|mal|wochenende|nacht)", "gestern", "vorgestern",
    "vor (?:\\w+ )?(?:tagen|wochen|monaten|jahren)",
    "am (?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|wochenende)", "fruher", "damals",
)
VIOLENCE = _words(
    "hit+(?:s|ing)?", "punch\\w*", "kick\\w*", "chok\\w*", "strangl\\w*", "throat", "neck", "hurt\\w*",
    "beat\\w*", "batter\\w*", "attack\\w*", "grab\\w*", "drag\\w*", "push\\w*", "shov\\w*", "slap\\w*",
    "kill\\w*", "murder\\w*", "knife", "knives", "blade", "gun", "weapon", "hammer", "threat\\w*",
    "smash\\w*", "break\\w*", "broke", "burn\\w*", "fire", "petrol", "bleed\\w*", "blood",
    "locked in", "locked me", "trapped", "wont let me", "cant get out", "barricad\\w*", "raging", "kicking off",
    "schlag\\w*", "schlug\\w*", "geschlagen", "haut mich", "prugel\\w*", "tritt", "tritt\\w*", "getreten",
    "wurg\\w*", "gewurgt", "hals", "messer", "waffe", "pistole", "knarre", "umbring\\w*", "umgebracht",
    "tot", "toten", "gewalt\\w*", "violent", "\\w*geschubst", "schubs\\w*", "\\w*gestossen", "kalt machen",
    "verletz\\w*", "droh\\w*", "gepackt", "stosst?",
    "zerschlag\\w*", "blut\\w*", "rastet", "ausgerastet", "dreht durch", "eingesperrt", "eingeschlossen",
    "abgeschlossen", "lasst mich nicht", "komm nicht raus", "verbarrikadiert",
)
# His presence counts only when the message is about him ("he", "er"): "what can I do here" is not.
PRESENCE = _words(
    "here", "outside", "at (?:the|my) (?:door|window|house|flat|school)", "door", "window", "downstairs",
    "upstairs", "in the (?:house|flat|garden|hall\\w*)", "following", "followed", "watching", "coming",
    "on his way", "turned up", "back", "hiding",
    "hier", "da", "drauss?en", "vor der tur", "vorm haus", "vor dem haus", "unten", "kommt", "verfolgt",
    "beobachtet", "zuruck", "aufgetaucht", "versteck\\w*",
)
HE = _words("he", "hes", "him", "his", "er", "ihn", "ihm", "my ex", "mein ex")
DENIAL = _words(
    "not in (?:any )?danger", "no danger", "(?:hes|he is|he s) not (?:here|around|there|back)",
    "(?:hes|he is|he s|he has) (?:gone|left)", "(?:im|i am|i m) (?:safe|ok|okay|fine|alright|good)",
    "dont worry", "do not worry", "all (?:good|fine|ok)", "no (?:trouble|problems?|issues?)",
    "hasnt been (?:round|here|near|in touch)", "hasnt come (?:near|round|over|here|back)",
    "(?:hes|he has|he s) not (?:been|come) (?:near|round|over|here|back|in touch)", "havent seen him",
    "not scared", "not afraid",
    "nicht in gefahr", "keine gefahr", "(?:er ist|er is|ist) nicht (?:da|hier|mehr da)", "er ist weg",
    "(?:mir gehts|mir geht s|mir geht es) gut", "bin sicher", "alles (?:gut|ok|in ordnung)", "keine sorge",
    "keine angst", "nichts passiert", "nix passiert", "war (?:gar )?nicht da",
)
# A call for help or for the police, however it is spelt ("helpp", "hilfeee", "hlp", "plz").
URGENCY = _words(
    "help+", "hel+p+", "hlp", "halp", "hepl", "helo", "sos", "police", "polizei", "999", "112", "110", "911",
    "please help", "plz", "pls help", "hilfe+", "hilf+", "hilfe+ bitte", "notruf", "notfall", "emergency",
)
# Denials that are not: "he's not supposed to be here", "er darf nicht hier sein".
NOT_A_DENIAL = _words("not supposed", "not allowed", "darf nicht", "soll nicht", "nicht sein")


WORRYING = frozenset({DANGER_INTENT, "feeling_unsafe", "report_incident"})


def _top_intent(parse: Mapping[str, Any] | None) -> str | None:
    intent = (parse or {}).get("intent") or {}
    return str(intent.get("name")) if isinstance(intent, Mapping) else None


def danger_probability(parse: Mapping[str, Any] | None) -> float:
    """The classifier's probability of danger_now, from its ranking (Rasa's shape)."""
    if not parse:
        return 0.0
    for entry in parse.get("intent_ranking") or []:
        if isinstance(entry, Mapping) and entry.get("name") == DANGER_INTENT:
            return float(entry.get("confidence") or 0.0)
    intent = parse.get("intent") or {}
    if isinstance(intent, Mapping) and intent.get("name") == DANGER_INTENT:
        return float(intent.get("confidence") or 0.0)
    return 0.0


@dataclass(frozen=True)
class Cues:
    """Which explicit cue families a message shows."""

    harm: bool
    violence: bool
    present: bool
    past_only: bool
    denial: bool
    urgency: bool = False

    @property
    def any(self) -> bool:
        return self.harm or self.present or self.urgency


def cues(text: str) -> Cues:
    t = fold_for_danger(text)
    violence = VIOLENCE.search(t) is not None
    harm = violence or (PRESENCE.search(t) is not None and HE.search(t) is not None)
    present = PRESENT.search(t) is not None
    past = PAST_ONLY.search(t) is not None
    denial = DENIAL.search(t) is not None and NOT_A_DENIAL.search(t) is None
    urgency = URGENCY.search(t) is not None
    return Cues(harm=harm, violence=violence, present=present, urgency=urgency, past_only=past and not present,
                denial=denial)


def decide(text: str, parse: Mapping[str, Any] | None, net: DangerSignal | None) -> DangerDecision:
    """Apply the rule of the module docstring to one message."""
    if net is not None:
        return DangerDecision("alert", 1.0, f"net:{net.rule}")
    p = danger_probability(parse)
    c = cues(text)
    present_harm = c.harm and c.present
    if c.denial and not present_harm:
        if p >= P_ASK_DESPITE_DENIAL:
            return DangerDecision("ask", p, "model_despite_denial")
        return DangerDecision("none", p, "denial")
    if p >= P_ALERT:
        return DangerDecision("alert", p, "model")
    if p >= P_ALERT_WITH_CUES and present_harm and not c.denial:
        return DangerDecision("alert", p, "model_with_present_harm")
    if p >= (P_ASK_PAST_ONLY if c.past_only else P_ASK) and (c.any or _top_intent(parse) in WORRYING):
        return DangerDecision("ask", p, "model_unsure")
    if c.harm and not c.past_only and not c.denial and (c.present or c.violence or p >= P_CUE_FLOOR):
        return DangerDecision("ask", max(p, CUE_SCORE), "present_harm" if c.present else "harm")
    return DangerDecision("none", p, "no_signal")
