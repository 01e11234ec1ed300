"""The danger decision: alert, ask, or nothing, from the danger net, the classifier and explicit cues.

Why a decision and not a label: a missed "he is here" can cost a life, a false urgent alert
costs a worker's time, and between the two there is a cheap third answer: ask her, in cover
wording, "Do you need help right now? 1 Yes 2 No". A yes is danger; silence from someone whose
text scored above the floor still reaches the team (scheduler/safety_jobs.py).

The rule, in order (``p`` is the classifier's probability of ``danger_now`` from its ranking,
whatever intent won; cues are matched on the danger net's normalised text):

1. ALERT if the danger net fired (its lexicon handles its own negations with ``unless``), unless
   the message places it in the past only and says it is over ("kicked the door in on Tuesday,
   it's been fixed now", "die Polizei war da, seitdem ist Ruhe") or long ago ("two weeks ago",
   "in March"): then NONE; placed in the past only otherwise ("last night"): ASK. "Past only"
   means no present anchor at all ("now", "still", "he's", "help me", "a minute ago"). The same
   holds for a model alert (rule 3). A self-harm rule is never downgraded.
1b. Self-harm (her own life, intent ``self_harm``, ``ps`` its probability), only when the text
   names something of it (dying, life, tablets, cutting, waking up, goodbye...: ``SELF_HARM_CUE``;
   "ich will nicht mehr" alone is more often about our messages): ALERT with kind ``self_harm``
   if ``ps >= PS_ALERT`` and a strong cue, ASK if ``ps >= PS_ASK`` (a weak cue such as "over",
   "vorbei", "aufhört" is enough to ask, never to alert); "I'd never hurt myself" is NONE below
   ``P_ASK_DESPITE_DENIAL``. Its alert is answered with the crisis line (flows/common.py).
2. A message that explicitly denies danger ("I'm not in danger", "he isn't here", "not an
   emergency", "mir geht's gut", "kein Notfall"), or fears him being unusually nice or calm ("he's
   being weirdly nice, it scares me": a worry for the team, not an alarm), and names no present
   harm is NONE below ``P_ASK_DESPITE_DENIAL`` and ASK above.
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
Kind = Literal["danger", "self_harm"]
DANGER_INTENT = "danger_now"
SELF_HARM_INTENT = "self_harm"

P_ALERT = 0.7
P_ALERT_WITH_CUES = 0.25
P_ASK = 0.15
P_ASK_PAST_ONLY = 0.3
P_ASK_DESPITE_DENIAL = 0.5
CUE_SCORE = 0.35
P_CUE_FLOOR = 0.05
PS_ALERT = 0.5
PS_ASK = 0.25


@dataclass(frozen=True)
class DangerDecision:
    """What to do about one message. ``reason`` is a rule name, never text."""

    action: Action
    score: float
    reason: str
    kind: Kind = "danger"  # self_harm: her own life (crisis line, escalation reason self_harm)

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
    "a (?:second|minute|moment|few (?:seconds|minutes)) ago", "(?:seconds|minutes) ago", "eben", "gerade eben",
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
    "threw", "throw\\w*", "thrown", "chuck\\w*", "hurl\\w*", "flung", "geworfen", "wirft", "werfen",
    "schmeisst", "geschmissen",
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
    "not scared", "not afraid", "not (?:an? |really an? )?(?:emergency|urgent)", "no emergency", "no rush",
    "nothing urgent", "isnt (?:an? )?(?:emergency|urgent)",
    "nicht in gefahr", "keine gefahr", "(?:er ist|er is|ist) nicht (?:da|hier|mehr da)", "er ist weg",
    "(?:mir gehts|mir geht s|mir geht es) gut", "bin sicher", "alles (?:gut|ok|in ordnung)", "keine sorge",
    "keine angst", "nichts passiert", "nix passiert", "war (?:gar )?nicht da",
    "kein(?:en)? notfall", "nicht (?:so )?dringend", "nichts dringendes", "keine eile",
)
# Fear of him being unusually nice or calm: a worry to hear, not an alarm ("he's being weirdly nice").
CALM_FEAR = _words(
    "(?:being|so|too|really|very|weirdly|unusually|strangely|suspiciously|extra|overly|super|oddly) "
    "(?:nice|sweet|charming|lovely|kind|calm|quiet|polite|helpful|attentive)",
    "(?:bought|brought|got) me (?:flowers|presents|gifts|chocolates)", "love bomb\\w*",
    "(?:so|zu|total|auffallig|komisch|seltsam|merkwurdig|verdachtig|ubertrieben|plotzlich|richtig) "
    "(?:nett|lieb|freundlich|ruhig|charmant|aufmerksam|sanft)",
    "(?:blumen|geschenke|pralinen) (?:gekauft|mitgebracht|geschenkt)",
)
# Said to be over: "it's been fixed now", "he's gone", "seitdem ist Ruhe". Their "now" anchors nothing.
_OVER = (
    "(?:its|it s|it has|its been|has been|have been|been|was|were|got|is|are|all) (?:all |now |since |been )?"
    "(?:fixed|sorted|repaired|replaced|mended|over|dealt with|calmed down|settled)",
    "(?:hes|he has|he s|he is) (?:now )?(?:gone|left|moved out|been arrested|in custody|not been back)",
    "(?:police|cops|gardai) (?:came|took him|arrested him|were called|sorted)", "since then", "ever since",
    "(?:hasnt|has not|hes not|he hasnt) been back", "all (?:calm|quiet)", "calmer now",
    "(?:ist|sind|wurde|wurden|war|waren) (?:jetzt |wieder |inzwischen |mittlerweile |schon )?"
    "(?:repariert|ersetzt|vorbei|erledigt|ausgetauscht|geklart|gemacht)",
    "seitdem", "seither", "hat sich (?:wieder |inzwischen )?beruhigt",
    "(?:er ist|ist er) (?:jetzt )?(?:weg|gegangen|ausgezogen)",
    "(?:jetzt|inzwischen|mittlerweile) (?:ist (?:es )?)?(?:ruhig|ruhiger|vorbei)", "wieder ruhig",
)
OVER = _words("(?:" + "|".join(_OVER) + ")(?: now| already| since| again| jetzt| wieder)?")
# Long past: weeks, months or years ago; a month's name; "damals". With the danger net, over by itself.
DISTANT = _words(
    "(?:\\w+ )?(?:weeks?|months?|years?) ago", "last (?:week|month|year|summer|winter|spring|autumn)",
    "in (?:january|february|march|april|may|june|july|august|september|october|november|december)",
    "in the (?:summer|spring|winter|autumn)",
    "at christmas", "back then", "used to", "years back", "(?:a )?(?:couple|few) (?:of )?weeks back",
    "vor (?:\\w+ )?(?:wochen|monaten|jahren)", "letzte[nrs]? (?:woche|monat|jahr|sommer|winter)",
    "im (?:januar|februar|marz|april|mai|juni|juli|august|september|oktober|november|dezember)",
    "im (?:sommer|winter|fruhling|herbst)",
    "an weihnachten", "damals", "fruher",
)
# In the present whatever else is said: "he's back", "help me", "a minute ago".
NOW_AFTER_ALL = _words(
    "(?:hes|he is|he s)(?! (?:been|gone|not|left|never|always|usually|calmer|fine|ok|okay))",
    "help+ me", "help+ us", "please help", "pls help", "sos", "hilfe+", "hilf mir", "helft mir",
    "er (?:ist|steht|kommt|sitzt|wartet)(?! (?:nicht|weg|gegangen|ausgezogen|ruhig|ruhiger))",
    "a (?:second|minute|moment|few (?:seconds|minutes)) ago", "(?:seconds|minutes|\\d+ mins?) ago", "just",
    "eben", "gerade eben", "vor (?:einer|ein paar|zwei|drei|funf) (?:minuten|sekunden)",
)
# What her own life at risk is about: without one of these the model's self-harm guess is not acted on.
SELF_HARM_CUE = _words(
    "die", "dying", "dead", "death", "suicid\\w*", "kill\\w*", "kms", "unalive", "life", "living", "alive", "live",
    "end it", "end (?:it )?all", "over", "tablets?", "pills?", "meds", "medication", "overdos\\w*", "paracetamol",
    "painkillers", "cut\\w*", "hurt\\w* my ?self", "harm\\w*", "wake up", "goodbye", "bridge", "rope",
    "better off", "sleep forever", "end(?:ing)? (?:it|things|everything|my)",
    "sterben", "tot", "tod", "leben", "suizid\\w*", "selbstmord\\w*", "umbring\\w*", "tabletten", "pillen",
    "medikamente", "ritz\\w*", "geritzt", "schneide\\w*", "aufwachen", "abschied", "brucke",
    "besser dran", "schlafen", "weh\\w*", "verletz\\w*",
)
# Weaker: enough to ask her, never to alert on the model's word alone ("it to stop", "vorbei", "aus").
SELF_HARM_WEAK_CUE = _words(
    "over", "stop", "bye", "point", "disappear", "gone", "cope", "go on", "carry on", "anymore", "any more",
    "vorbei", "aufhort", "aufhoren", "aushalten", "aus", "sinn", "tschuss", "nicht mehr", "schaff\\w*",
)
# She says she will not harm herself: "I'd never hurt myself", "ich würde mir nie was antun".
SELF_HARM_DENIAL = _words(
    "not suicidal", "(?:never|not|wouldnt|would never|wont|dont|do not) (?:\\w+ )?(?:kill|hurt|harm) my ?self",
    "(?:dont|do not|never) want to die", "nicht suizidal",
    "(?:nie|niemals|nicht) (?:\\w+ ){0,2}(?:umbringen|mir (?:was|etwas) antun|mir das leben nehmen)",
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


def danger_probability(parse: Mapping[str, Any] | None, intent_name: str = DANGER_INTENT) -> float:
    """The classifier's probability of danger_now (or another intent), from its ranking (Rasa's shape)."""
    if not parse:
        return 0.0
    for entry in parse.get("intent_ranking") or []:
        if isinstance(entry, Mapping) and entry.get("name") == intent_name:
            return float(entry.get("confidence") or 0.0)
    intent = parse.get("intent") or {}
    if isinstance(intent, Mapping) and intent.get("name") == intent_name:
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
    text: str = ""  # the folded text the cues were read from (kept in memory only, never logged)
    over: bool = False
    distant: bool = False

    @property
    def any(self) -> bool:
        return self.harm or self.present or self.urgency


def cues(text: str) -> Cues:
    t = fold_for_danger(text)
    violence = VIOLENCE.search(t) is not None
    harm = violence or (PRESENCE.search(t) is not None and HE.search(t) is not None)
    over = OVER.search(t) is not None
    distant = DISTANT.search(t) is not None
    present = PRESENT.search(OVER.sub(" ", t)) is not None or NOW_AFTER_ALL.search(t) is not None
    past = PAST_ONLY.search(t) is not None or over or distant
    denial = (DENIAL.search(t) is not None or CALM_FEAR.search(t) is not None) and NOT_A_DENIAL.search(t) is None
    urgency = URGENCY.search(t) is not None
    return Cues(harm=harm, violence=violence, present=present, urgency=urgency, past_only=past and not present,
                denial=denial, over=over, distant=distant, text=t)


def decide(text: str, parse: Mapping[str, Any] | None, net: DangerSignal | None) -> DangerDecision:
    """Apply the rule of the module docstring to one message."""
    c = cues(text)
    if net is not None and net.self_harm:
        return DangerDecision("alert", 1.0, f"net:{net.rule}", "self_harm")
    if net is not None and c.past_only:
        if c.over or c.distant:
            return DangerDecision("none", 0.0, f"net_over:{net.rule}")
        return DangerDecision("ask", 1.0, f"net_past:{net.rule}")
    if net is not None:
        return DangerDecision("alert", 1.0, f"net:{net.rule}")
    p = danger_probability(parse)
    ps = danger_probability(parse, SELF_HARM_INTENT)
    strong = SELF_HARM_CUE.search(c.text) is not None
    if ps >= PS_ASK and ps > p and (strong or SELF_HARM_WEAK_CUE.search(c.text) is not None):
        if SELF_HARM_DENIAL.search(c.text) is not None and ps < P_ASK_DESPITE_DENIAL:
            return DangerDecision("none", ps, "self_harm_denial", "self_harm")
        if ps >= PS_ALERT and strong:
            return DangerDecision("alert", ps, "model_self_harm", "self_harm")
        return DangerDecision("ask", ps, "model_self_harm_unsure", "self_harm")
    present_harm = c.harm and c.present
    if c.denial and not present_harm:
        if p >= P_ASK_DESPITE_DENIAL:
            return DangerDecision("ask", p, "model_despite_denial")
        return DangerDecision("none", p, "denial")
    if p >= P_ALERT and c.past_only:  # "he pushed me down the stairs in March": a report, ask at most
        if c.over or c.distant:
            return DangerDecision("none", p, "model_over")
        return DangerDecision("ask", p, "model_past")
    if p >= P_ALERT:
        return DangerDecision("alert", p, "model")
    if p >= P_ALERT_WITH_CUES and present_harm and not c.denial:
        return DangerDecision("alert", p, "model_with_present_harm")
    if p >= (P_ASK_PAST_ONLY if c.past_only else P_ASK) and (c.any or _top_intent(parse) in WORRYING):
        return DangerDecision("ask", p, "model_unsure")
    if c.harm and not c.past_only and not c.denial and (c.present or c.violence or p >= P_CUE_FLOOR):
        return DangerDecision("ask", max(p, CUE_SCORE), "present_harm" if c.present else "harm")
    return DangerDecision("none", p, "no_signal")
