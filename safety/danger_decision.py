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
1b. Self-harm (her own life, intent ``self_harm``, ``ps`` its probability), when the text
   names something of it (dying, life, tablets, cutting, waking up, goodbye...: ``SELF_HARM_CUE``;
   "ich will nicht mehr" alone is more often about our messages): ALERT with kind ``self_harm``
   if ``ps >= PS_ALERT`` and a strong cue, ASK if ``ps >= PS_ASK`` (a weak cue such as "over",
   "vorbei", "aufhört" is enough to ask, never to alert; with no cue at all, ``ps >= PS_ASK_NO_CUE``
   still asks: "I've written letters for the kids in case" names nothing, and a question costs
   little beside a missed goodbye); "I'd never hurt myself" is NONE below
   ``P_ASK_DESPITE_DENIAL``. Its alert is answered with the crisis line (flows/common.py).
1c. ASK (kind ``self_harm``) whatever the model says when the text shows a warning sign said
   indirectly (``SELF_HARM_INDIRECT``: a burden, no reason to stay, no future with her in it, her
   funeral, a goodbye to everyone, "you won't hear from me again", "ohne mich leichter"): no
   model learns every way of saying it; checked against every ordinary training example (none hit).
   Applied after 1b and before rule 2, so "I'm fine, you won't hear from me again" is asked about.
1d. ASK (kind ``self_harm``), never alert, when a plan to end it is said alone with its object only "it" / "es"
   (``PLAN_ALONE``: "I know now how I'll do it", "ich weiß jetzt wie ich es mache"; round 8): the plan needs the
   conversation before it, a question costs little; "I know how I'll do the cake" names its object and is NONE.
   Round 9 widened ``SELF_HARM_INDIRECT`` by class: a passive death wish ("wouldn't mind if a bus ran me over"), an
   earlier attempt thought of again, harm "to feel something", a goodbye for ever, "can't do this any more" with a
   goodbye, a date chosen said alone, "safe from him, not from myself", medicine with drink or all at once, a note
   said alone, "soon you won't need to check on me".
1e. ASK (kind ``self_harm``), never alert, for emoji of death said with no words (``SELF_HARM_EMOJI``: a coffin, a
   headstone, a wilted flower, a knot; round 9).
2. A message that explicitly denies danger ("I'm not in danger", "he isn't here", "not an
   emergency", "mir geht's gut", "kein Notfall"), or fears him being unusually nice or calm ("he's
   being weirdly nice, it scares me": a worry for the team, not an alarm), and names no present
   harm is NONE below ``P_ASK_DESPITE_DENIAL`` and ASK above.
3. ALERT if ``p >= P_ALERT`` and the text names something (violence, a call for help, a danger
   emoji, or his presence anchored in the present); the model alone, with nothing named ("er
   schläft", "he's polite to me now"), ASKs: short "he ..." sentences look like danger to it. Anxious or worried
   faces alone ("😰😰", "😟") are no danger emoji here, so they ask; terror ("😱", "😨") alone still alerts (round 9).
4. ALERT if ``p >= P_ALERT_WITH_CUES`` and the text names harm or his presence (hit, knife,
   outside, at the door, locked in, kill...) anchored in the present ("now", "still", "again",
   "gerade", "immer noch", "schon wieder", or a present-tense presence/harm verb). This is the
   explicit tense rule: a past-tense verb does not outweigh "now/still/again".
5. NONE if the text is placed in the past only and said to be over or long ago (as in rule 1).
   ASK if ``p >= P_ASK`` (``P_ASK_PAST_ONLY`` when the text is placed in the past only,
   ``P_ASK_NO_CUE`` when it is longer than ``SHORT_WORDS`` words and names neither harm nor a
   call for help nor a danger emoji) and
   the text shows any cue (harm, his presence, a present anchor, a call for help however spelt)
   or the model's top intent is danger, self-harm, fear or an incident (out-of-domain text such as "meet
   me at the bakery" spreads a little probability over every intent: that alone never asks); or if
   the text names harm or his presence, does not place it in the past only ("last week",
   "gestern" without any present anchor), and either is anchored in the present, names
   violence, or the model gives danger at least ``P_CUE_FLOOR``.
   ASK too if ``p >= P_ASK_ANYWAY`` and the text is not placed in the past only: a quarter of the
   model's belief on danger is worth a question even when nothing is named (its top intent may be
   ``feeling_safe`` for a short "he ..." message after round 2's ordinary examples).
6. NONE otherwise.

What the cues do not count (round 2 of issue 23): figures of speech ("work is killing me", "I
could kill for a coffee", "die Arbeit bringt mich um", "my mum's going to kill me"), violence said
not to have happened ("he hasn't hit me since", "er hat mich nicht mehr geschlagen": a denial),
presence words that place him far away ("outside the country", "brought the kids back"), her
memory as a present anchor ("I still think about it", "daran denk ich noch oft"), "he's"/"er
kommt" said for later ("tomorrow", "am Samstag"), and questions about emergencies as a call for
help ("who do I call in an emergency", "was mache ich im Notfall").
Round 5: a time of the relationship with no date places an incident long ago ("back when we were together",
"that time he ...", "a while back", "the night I moved out", "als wir noch zusammen waren", "vor der Trennung",
"damals/damois", "is scho lang her"); living apart says it is over ("we've been separated", "I'm out now", "wir
wohnen nicht mehr zusammen"); an old scar, "never told anyone until now" and her wish now ("I just want it
written down") anchor nothing; "for hours" anchors the present only when nothing places the event long ago or
over, unless he or his car "has been" there for hours; "he's miles away", "er isch wit weg" place him far.
Round 6: the patterns are folded like the text (``fold_letters``: "tuesday", "does", "guet" had never matched);
"the other week", "neulich" place an incident in the past (asked at most); fire and smashing said in German
("zündet ... an", "zertrümmert") and "set fire to" are violence; any thing or non-partner "killing me" or
"bringt mich noch um", the boiler that broke, the cat that threw up are figures of speech. Three calibrations of
the ask band, each checked to lose no catch on the danger phrases, the own dev sets and the spent sets: a message
the model reads surely as an incident report (``REPORT_SURE``), with danger below ``P_ASK``, placed in the past
only and her saying it is for the record ("I want it on file", "soll in die Akte"), is NONE, and so is a net
hit placed in the past only with the same frame; when the model falls back and its best guess is danger with a
present cue, it ASKs; emoji alone telling distress ("🔥🚪😭", none of joy) ASK.

Round 8: a report the model is sure of (or a calm answer, a programme question: ``CALM_INTENTS`` at ``SURE_OTHER``),
with danger below ``P_CUE_FLOOR``, a day or "over" named and no anchor of this very moment (``NOW_STRONG``: "right
now", "still", "again", "gerade"; "now" / "jetzt" alone often say where she is since) asks nothing for harm named
(``model_sure_calm``; a hiding place said alone still asks). "He just lobbed ...", "my arm is broken", him driving
past again are harm; him kicked off the course is not; going to her dead mother, "dem Ganzen ein Ende machen" are
signs of self-harm. Checked on the counts of every spent and own set at once (no catch lost).

Round 10 (``decide`` wraps rules 1-6, ``_decide_one``): what follows only answers where those rules said nothing, so it
loses no catch. The net is tried again on the text read without dialect or text-speak (``read_dialect``: "er is do",
"chunnt", "radge", "bairns"); class rules ask (``_by_class``): self-harm by means gathered, her body hurt, not
trusting herself, water or a drop, disappearing, not being here by morning, a goodbye with thanks in the past tense,
said with a laugh or beside "I'm fine" (``SELF_HARM_BROAD``; only her own denial lowers it), medicine all at once
(``PILLS_ALL``), someone at her windows or doors at night, a child taken against an order, a hiding place in one or
two words, his arrival as a riddle ("guess who", "rat mal wer"); a message of ``LONG_WORDS`` or more, not placed in
the past as a whole, is read clause by clause as well (the most urgent clause wins). An alert is lowered when he was
there and is gone now with nothing feared (NONE) or his presence is only a fear or a thought (ASK), never when it is
happening this moment. The model's guess of self-harm skips our texts, a holiday, a dreaded date, a prescription.

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

from content.text import fold_for_danger, fold_letters
from safety.danger_net import DangerSignal, detect_danger

Action = Literal["alert", "ask", "none"]
Kind = Literal["danger", "self_harm"]
DANGER_INTENT = "danger_now"
SELF_HARM_INTENT = "self_harm"
FALLBACK_INTENT = "nlu_fallback"
REPORT_INTENT = "report_incident"

P_ALERT = 0.7
P_ALERT_WITH_CUES = 0.25
P_ASK = 0.15
P_ASK_PAST_ONLY = 0.3
P_ASK_NO_CUE = 0.3
P_ASK_ANYWAY = 0.25
SHORT_WORDS = 3
QUARTER_WORDS = 10
P_ASK_DESPITE_DENIAL = 0.5
CUE_SCORE = 0.35
P_CUE_FLOOR = 0.05
PS_ALERT = 0.5
PS_ASK = 0.25
PS_ASK_NO_CUE = 0.4  # round 7: was 0.5 (the model's top guess of self-harm at 0.4-0.5 is worth a question)
REPORT_SURE = 0.6  # round 6: a sure report with no present anchor, call for help or danger emoji is not asked about
REPORT_SURE_NET_PAST = 0.5  # ... nor a net hit placed in the past only that the model reads as a report
SURE_OTHER = 0.6  # round 8: sure of an ordinary intent, danger below P_CUE_FLOOR: a named day or no "now" asks nothing
# round 8: the intents whose sure reading, with almost no danger, lets a named past or a sentence without "now" pass
CALM_INTENTS = frozenset({REPORT_INTENT, "feeling_safe", "programme_info", "change_contact_time", "request_callback",
                          "help_menu", "thanks", "greet", "affirm", "deny", "delete_data", "stop"})


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
    # folded like the text they are matched against (round 6: "tuesday", "does", "issues", "guet", "queue" had
    # never matched, their "ue"/"oe" being folded away in the text; the danger net folds its lexicon the same way)
    return re.compile(fold_letters(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])"))


# Matched against content.text.fold_for_danger(text): lower case, no apostrophes, umlauts folded
# to the base letter ("tür" -> "tur", "schlägt" -> "schlagt"), punctuation gone.
PRESENT = _words(
    "now", "nw", "right now", "rn", "atm", "still", "again", "tonight", "2nite", "currently", "at the moment",
    "just now", "as we speak", "this minute", "keeps?", "wont stop", "won t stop", "at (?:this|the present) moment",
    "at present", "presently",
    "today", "jetzt", "jez", "gerade", "heute", "heut", "grad", "grade", "immer noch", "noch", "schon wieder",
    "wieder", "heute nacht",
    "gleich", "sofort", "momentan", "hort nicht auf",
    "a (?:second|minute|moment|few (?:seconds|minutes)) ago", "(?:seconds|minutes) ago", "eben", "gerade eben",
    # round 8: "he just lobbed ...", "my ex has just hit ...": a past verb made present by "just" after him
    "(?:he|hes|he s|he has|my ex|my exs|my ex has) just (?:\\w+ed|hit|threw|broke|thrown|smashed|punched|came|went|"
    "got in|"
    "got into|got through|let himself|climbed|turned up|showed up|pulled up)",
)
PAST_ONLY = _words(
    "last (?:week|month|year|night|time|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    "last (?:yr|yer|yeer|wk|mnth)", "lst (?:year|yr|week|month)", "letzte[nrs]? (?:jar|jahre)", "yday", "yesterdy",
    "(?:on |at )?new years eve", "(?:an |zu )?silvester", "(?:noch )?bevor wir (?:umgezogen|weggezogen|ausgezogen)",
    "before (?:we|i) (?:moved|left)",
    "yesterday", "ago", "on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)", "at the weekend",
    "over the weekend", "at christmas", "earlier this (?:week|month|year)", "used to", "back then",
    "last (?:christmas|easter|summer|winter|spring|autumn|birthday|new year)",
    "letzte[ns]? (?:weihnachten|ostern|sommer|winter|silvester)",
    "letzte[nrs]? (?:woche|monat|jahr|mal|wochenende|nacht)", "gestern", "vorgestern",
    "vor (?:\\w+ )?(?:tagen|wochen|monaten|jahren)",
    "am (?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|wochenende)", "fruher", "damals",
    # dev14's first reading: a year ("back in 2019", "2019 hat er ..."): the past (asked at most), never "long ago"
    # by itself, since "last night, same as in 2019" is recent
    "(?:back )?(?:in |im jahr |anno )?(?:19[89]\\d|20[012]\\d)(?! (?:uhr|am|pm|oclock))",
    # round 6: a recent past said without a date ("the other week", "neulich", "letztens"): asked at most
    "the other (?:day|week|night|weekend|evening|morning)", "(?:a )?(?:couple|few) (?:of )?days (?:ago|back)",
    "neulich", "letztens", "kurzlich", "unlangst", "vor (?:ein paar|einigen|zwei|drei) (?:tagen|wochen)",
)
VIOLENCE = _words(
    "hit+(?:s|ing)?", "punch\\w*", "kick\\w*", "chok\\w*", "strangl\\w*", "throat", "neck", "hurt\\w*",
    "beat\\w*", "batter\\w*", "attack\\w*", "grab\\w*", "drag\\w*", "push\\w*", "shov\\w*", "slap\\w*",
    "kill\\w*", "murder\\w*", "knife", "knives", "blade", "gun", "weapon", "hammer", "threat\\w*",
    "smash\\w*", "break\\w*", "broke", "burn\\w*", "lob(?:bed|bing|s)?",
    "(?:arm|nose|wrist|ribs?|jaw|leg|finger|hand|cheekbone) (?:is |s |might be |feels )?broken",
    "broken (?:my )?(?:arm|nose|wrist|ribs?|jaw|leg|finger|hand|cheekbone)", "fire", "petrol", "bleed\\w*", "blood",
    "threw", "throw\\w*", "thrown", "chuck\\w*", "hurl\\w*", "flung", "geworfen", "wirft", "werfen",
    "schmeisst", "geschmissen",
    "locked in", "locked me", "trapped", "wont let me", "cant get out", "barricad\\w*", "raging", "kicking off",
    "schlag\\w*", "schlug\\w*", "geschlagen", "haut mich", "prugel\\w*", "tritt", "tritt\\w*", "getreten",
    "wurg\\w*", "gewurgt", "hals", "messer", "waffe", "pistole", "knarre", "umbring\\w*", "umgebracht",
    "tot", "toten", "gewalt\\w*", "violent", "\\w*geschubst", "schubs\\w*", "\\w*gestossen", "kalt machen",
    "verletz\\w*", "droh\\w*", "gepackt", "stosst?",
    "zerschlag\\w*", "zertrummer\\w*", "demolier\\w*", "randalier\\w*", "blut\\w*",
    # round 6: fire ("er zündet die Wohnung an", "fackelt die Bude ab", "set fire to", "torch the place")
    "(?:er|hat|will|droht|wollte|gonna) (?:\\w+ ){0,4}(?:\\w*zundet|an ?zunden|abfackel\\w*|abbrenn\\w*)",
    "abfackel\\w*", "feuer gelegt", "benzin (?:\\w+ ){0,3}(?:verschuttet|ausgekippt|ausgeleert|verteilt)",
    "set (?:fire|light) to", "torch (?:the|my|our|us|me|the place|the house|the flat)", "set (?:\\w+ )?alight",
    "lighter fluid", "(?:force|forcing|forced) (?:\\w+ ){0,2}entry",  # round 9: formal words for breaking in
    "rastet", "ausgerastet", "dreht durch", "eingesperrt", "eingeschlossen",
    "(?:mich|uns) (?:\\w+ ){0,3}abgeschlossen", "lasst mich nicht", "komm nicht raus", "verbarrikadiert",
    # him out of control now: "he's going mad", "er tobt"
    "going (?:mad|mental|crazy|nuts|ballistic|psycho)", "losing it", "lost it", "furious", "off his (?:head|face)",
    "screaming", "tobt", "brullt", "schreit rum", "durchgedreht",
    # round 10: she barricades the door with furniture ("chair under the handle", "Stuhl unter die Klinke")
    "(?:chair|sofa|couch|wardrobe|table|drawers|bed|dresser|chest of drawers) (?:\\w+ ){0,2}(?:against|under|"
    "in front of|"
    "behind) (?:the |my )?(?:door|handle)", "(?:stuhl|schrank|sofa|couch|tisch|kommode|"
    "bett) (?:\\w+ ){0,2}(?:unter|vor|"
    "gegen|hinter) (?:die|der|den) (?:klinke|tur)",
    # hiding places said plainly: she names where she is hiding
    "under (?:the |my )?(?:bed|stairs)", "in (?:the|my) (?:wardrobe|closet|cupboard|loft|attic|shed)",
    "unter (?:der|dem|die|das) (?:treppe|bett)", "unterm bett", "im (?:kleider)?schrank", "auf dem dachboden",
)
# His presence counts only when the message is about him ("he", "er"): "what can I do here" is not.
PRESENCE = _words(
    "here", "outside", "at (?:the|my) (?:door|window|house|flat|school)", "door", "window", "downstairs",
    "upstairs", "in the (?:house|flat|garden|hall\\w*)", "across the (?:road|street)", "opposite", "up the road",
    "looking for me", "searching for me", "gegenuber", "an der ecke", "sucht mich",
    "following", "followed", "watching", "coming",
    "on his way", "turned up", "back", "hiding", "not gone", "hasnt left", "hasn t left", "nicht weg",
    "out ?side", "outsid", "dou?rr?", "parked",
    "sitting in (?:his|the) (?:car|van)",
    "hier", "da", "drauss?en", "vor der tur", "vorm haus", "vor dem haus", "unten", "kommt", "verfolgt",
    "beobachtet", "zuruck", "aufgetaucht",
    # round 10: him following her, on the stairs or landing of her block, staring at her
    "hinterher\\w*", "nachgefahren", "nachgelaufen", "im (?:haus)?flur", "im treppenhaus", "auf der treppe",
    "on the (?:landing|stairs)", "in the (?:stairwell|hallway|lobby)", "starrt mich an", "anstarrt",
    "(?:staring|stares|glaring) at me",
    # dev16's first reading: him waiting for her, lurking ("er wartet seit halb sechs ... vor dem Studio auf mich")
    "wartet (?:\\w+ ){0,12}auf mich", "waiting (?:\\w+ ){0,6}for me", "lauert\\w*", "lurking",
    "versteck\\w*", "tuh?re?", "drau?s+en", "parkt", "sitzt (?:\\w+ )?im auto",
    # round 8: him passing her home again and again ("keeps driving past", "fährt dauernd vorbei")
    "(?:driving|drives|drove|walking|walks|going|goes|cruising) (?:\\w+ ){0,2}past",
    "(?:fahrt|lauft|geht|kommt) (?:\\w+ ){0,5}vorbei",
    # round 9: circling her street, at her property in formal words, stopped in front of her house, forcing entry
    "(?:circling|circles|circled|prowling|pacing) (?:round |around |up and down )?(?:the |my |our )?(?:block|house|"
    "street|estate|flat|building|road|close)",
    "at (?:my|the|our) (?:property|premises|home|address|residence|place)",
    "(?:gain|gaining) (?:\\w+ )?(?:entry|access)",
    "vor (?:meinem|unserem|dem|meiner|unserer|der) (?:haus|wohnung|tur|fenster|block|hauseingang|eingang)",
    "(?:kreist|kurvt|fahrt) (?:\\w+ ){0,3}(?:um den block|ums haus|um das haus|durch die strasse)",
)
HE = _words("he", "hes", "him", "his", "er", "ihn", "ihm", "my ex", "mein ex")
DENIAL = _words(
    # round 9: he was there and "now he's gone" ("jetzt ist er weg"), never gone to fetch something
    "(?:now|jetzt|inzwischen|mittlerweile|and now|und jetzt) (?:ist er|hes|he s|he is|is he|er ist) (?:wieder )?"
    "(?:weg|gone|away)(?! (?:to|um|and|und|for|holen|zu|get|fetch))",
    "not in (?:any )?danger", "no danger", "no longer in (?:any )?danger", "nicht mehr in gefahr",
    "(?:he|my ex) (?:isnt|is not|isn t|aint|wasnt|was not) (?:\\w+ )?(?:here|around|there|back|home|coming|about)",
    "(?:hes|he is|he s) (?:\\w+ )?not (?:here|around|there|back|home|coming)",
    # round 8: "he's not outside or anything", "er steht nicht vor der Tür"
    "(?:(?:hes|he is|he s) (?:\\w+ )?not|he (?:isnt|is not|isn t|aint)) (?:\\w+ )?"
    "(?:outside|at the door|downstairs|in the house)",
    "er (?:steht|ist|sitzt|wartet) (?:\\w+ )?nicht (?:vor der tur|draussen|vorm haus|unten|im haus)",
    "(?:he )?(?:didnt|did not|hasnt|has not|never) (?:\\w+ )?(?:turn(?:ed)? up|show(?:ed)? up|come|came|appear(?:ed)?)",
    "(?:hes|he is|he s|he has) (?:gone(?! (?:proper|totally|completely|absolutely|mad|mental|crazy|nuts|radge|"
    "raging|berserk|ballistic|psycho|wild|apeshit|nuclear|off on one|off it|insane))|left)",
    "(?:im|i am|i m) (?:safe|ok|okay|fine|alright|good)",
    "dont worry", "do not worry", "all (?:good|fine|ok)", "no (?:trouble|problems?|issues?)",
    "hasnt been (?:round|here|near|in touch)", "hasnt come (?:near|round|over|here|back)",
    "(?:hes|he has|he s) not (?:been|come) (?:near|round|over|here|back|in touch)", "havent seen him",
    "not scared", "not afraid", "not (?:an? |really an? )?(?:emergency|urgent)", "no emergency", "no rush",
    "nothing urgent", "isnt (?:an? )?(?:emergency|urgent)",
    "nicht in gefahr", "keine gefahr",
    "(?:er ist|er is|ist) (?:\\w+ )?nicht (?:da|hier|mehr da|zuhause|gekommen|aufgetaucht)",
    "er ist weg", "(?:er )?(?:ist|war|kam) (?:\\w+ )?nicht (?:gekommen|aufgetaucht|erschienen)",
    "(?:mir gehts|mir geht s|mir geht es) gut", "mir (?:geits|geit s|gahts|gaht s|gohts|goht s|gehts|geht s) "
    "(?:\\w+ )?(?:guet|guat|gut)", "uns (?:gehts|geht s|geht es) (?:\\w+ )?(?:gut|bestens|super|prima)",
    "(?:were|we are|we re|were all|we re all|the kids are)"
    " (?:home )?(?:safe|ok|okay|fine|alright|good|grand|sound|great)",
    "bin sicher", "alles (?:gut|ok|in ordnung)", "keine sorge",
    "keine angst", "nichts passiert", "nix passiert", "war (?:gar )?nicht da",
    "kein(?:en)? notfall", "nicht (?:so )?dringend", "nichts dringendes", "keine eile",
)
# Fear of him being unusually nice or calm: a worry to hear, not an alarm ("he's being weirdly nice").
CALM_FEAR = _words(
    "(?:being|so|too|really|very|weirdly|unusually|strangely|suspiciously|extra|overly|super|oddly) "
    "(?:nice|sweet|charming|lovely|kind|calm|quiet|polite|helpful|attentive)",
    "(?:bought|brought|got) me (?:flowers|presents|gifts|chocolates)", "love bomb\\w*",
    "(?:flowers|presents|gifts|chocolates) for me",
    "(?:so|zu|total|auffallig|komisch|seltsam|merkwurdig|verdachtig|ubertrieben|plotzlich|richtig) "
    "(?:nett|lieb|freundlich|ruhig|charmant|aufmerksam|sanft)",
    "(?:blumen|geschenke|pralinen) (?:gekauft|mitgebracht|geschenkt)", "(?:blumen|geschenke(?:n)?|pralinen) fur mich",
)
# Said to be over: "it's been fixed now", "he's gone", "seitdem ist Ruhe". Their "now" anchors nothing.
_OVER = (
    "(?:its|it s|it has|its been|thats|that s|that has|that is|has been|have been|been|was|were|got|is|are|all) "
    "(?:all |now |since |been )?"
    "(?:fixed|sorted|repaired|replaced|mended|over|dealt with|calmed down|settled)",
    # round 10: never "he's gone proper mad / radge / mental": that is him out of control now
    "(?:hes|he has|he s|he is) (?:now )?(?:gone(?! (?:proper|totally|completely|absolutely|mad|mental|crazy|nuts|"
    "radge|raging|berserk|ballistic|psycho|wild|apeshit|nuclear|off on one|off it|insane))|left|moved out|"
    "moved away|been arrested|in custody|not been back)",
    "(?:er ist|ist er|er ist jetzt|er ist inzwischen) (?:\\w+ )?(?:weggezogen|umgezogen|im knast|in haft)",
    "(?:ist|sind|war) (?:aber |jetzt |inzwischen |schon )*(?:gut |wieder )?(?:verheilt|abgeheilt)",
    "(?:its|it s|all|has|have|it has) (?:all )?(?:healed|heeled)(?: up| fine| now)?",
    "(?:jetzt|inzwischen|mittlerweile|heute) (?:bin ich|sind wir) (?:\\w+ )?(?:sicher|in sicherheit)",
    "(?:police|cops|gardai) (?:came|took him|arrested him|were called|sorted)", "since then", "ever since",
    "(?:hasnt|has not|hes not|he hasnt) been back", "all (?:calm|quiet)", "calmer now",
    "(?:hes|he s|he has|he) (?:no|nae|not|never|naw) (?:been|bin|bn) back",  # round 9: Scots "he's no been back"
    "(?:ist|sind|wurde|wurden|war|waren) (?:jetzt |wieder |inzwischen |mittlerweile |schon )?"
    "(?:repariert|ersetzt|vorbei|erledigt|ausgetauscht|geklart|gemacht)",
    "seitdem", "seither", "hat sich (?:wieder |inzwischen )?beruhigt",
    # round 10: he has gone to his family or friends ("er ist zu seinem Vater", "he's gone back to his mum's")
    "(?:er ist|ist er|hes|he s|he has|he is|he went) (?:\\w+ ){0,2}(?:zu|bei|to|at|off to|round) (?:seiner|seinem|"
    "seinen|his) (?:\\w+ )?(?:mutter|vater|eltern|mama|papa|bruder|schwester|kumpel|freunden?|freundin|mum|mums|mom|"
    "moms|dad|dads|parents|brother|brothers|sister|sisters|mates?|mates|friends?|friends)",
    # round 10: "die Polizei hat das erledigt", "the police dealt with it"
    "(?:polizei|police|cops|gardai) (?:\\w+ )?(?:hat|have|has|had)? ?(?:das |es |it |that )?(?:erledigt|geregelt|"
    "dealt with (?:it|that|him)|sorted (?:it|that|him)|handled (?:it|that|him))",
    # round 5: she is out of it, they live apart
    "(?:im|i am|i m) (?:\\w+ )?(?:out|away from him|out of there|free of him|free)(?: of it)? now",
    "(?:weve|we have|we ve|we re|were|we are|im|i am|i m) (?:been |now |long )?(?:separated|apart|divorced|split up)",
    "wir (?:wohnen|leben|sind) (?:jetzt |inzwischen |schon lange )?(?:nicht mehr|nimmer|nimma|nume|nid meh) zusammen",
    "(?:sind|bin) (?:jetzt |inzwischen |schon lange |seit \\w+ )?(?:getrennt|geschieden)",
    "nothing (?:since|after that|else since)", "not since", "seitdem nichts",
    "i left (?:him |after that|that night|the next day)", "(?:i|we) (?:moved out|moved away|left) (?:after|since)",
    "danach bin ich (?:gegangen|ausgezogen|weg)", "(?:das|es) ist (?:jetzt |inzwischen )?(?:geklart|erledigt)",
    "(?:er ist|ist er) (?:jetzt )?(?:weg|gegangen|ausgezogen)",
    "(?:jetzt|inzwischen|mittlerweile) (?:ist (?:es |alles )?)?(?:ruhig|ruhiger|vorbei)", "wieder ruhig",
    "(?:everything|everythings|everything s|all|its|it s|things|things are|things s) (?:is |are |has been |been )?"
    "(?:quiet|calm|fine|ok|okay|peaceful|good|settled) (?:now|since)",
    "(?:alles|es) (?:ist )?(?:jetzt |wieder |seitdem )?(?:ruhig|friedlich|gut) (?:jetzt|seitdem|inzwischen)",
    "(?:ist|war) (?:schon |ja |doch )?lange vorbei",
    "(?:were|we are|we re|im|i am|i m|all|everyone s|everyones|the kids are|kids are) (?:all )?"
    "(?:fine|ok|okay|good|safe|grand|alright|settled) now",
    "jetzt ist (?:alles|es) (?:wieder )?(?:gut|in ordnung|ok)",
    # tried as a new user after round 5: "its all behind me now" asked about a plate thrown years ago
    "(?:its|it s|it is|thats|that s|that is) (?:now )?(?:all|long) behind (?:me|us)",
    "(?:its|it s|it is|thats|that s|that is) (?:all |now |long )?in the past",
    "(?:das|es) (?:liegt|ist) (?:jetzt |alles |inzwischen |schon )*(?:hinter (?:mir|uns)|vergangenheit)",
    # round 8: she says it is not happening now ("it's not happening now but ...", "gerade passiert nichts")
    "(?:its|it s|it is|thats|that s|nothing s|nothings|nothing is|nothing) (?:not )?(?:happening|going on) "
    "(?:right )?(?:now|atm|rn|at the moment)",
    "(?:not|nothing) (?:happening|going on) (?:right )?(?:now|atm|rn|at the moment)",
    "(?:passiert|lauft) (?:gerade|grad|jetzt|im moment|momentan) (?:nicht|nichts|nix)",
    "(?:gerade|grad|jetzt|im moment|momentan) passiert (?:nicht|nichts|nix)",
    # round 9: the damage mended and "all secure again" ("again" there is no anchor of this moment)
    "(?:all|everything|everythings|its|it s|its all|were|we re|we are|im|i m|i am) (?:\\w+ )?(?:secure|safe|locked up) "
    "again", "(?:ist )?(?:alles |jetzt alles |wieder alles )?wieder (?:alles )?(?:sicher|gesichert|dicht)",
)
OVER = _words("(?:" + "|".join(_OVER) + ")(?: now| already| since| again| jetzt| wieder)?")
# Long past: weeks, months or years ago; a month's name; "damals". With the danger net, over by itself.
DISTANT = _words(
    # round 9: an anniversary ("a year today since he ...", "heute vor einem Jahr hat er ...")
    "(?:a|one|two|three|four|five|\\d+) (?:years?|months?) (?:ago )?(?:today|tonight|this week) since",
    "(?:today|tonight) (?:its|it s|it is|marks) (?:a|one|two|three|\\d+) (?:years?|months?) since",
    "heute (?:ist es |sind es )?(?:vor )?(?:genau )?(?:einem|ein|zwei|drei|\\d+) "
    "(?:jahr|jahre|jahren|monat|monate|monaten)(?: her)?", "jahrestag",
    "(?:\\w+ )?(?:weeks?|months?|years?) ago", "last (?:week|month|year|summer|winter|spring|autumn)",
    "in (?:january|february|march|april|may|june|july|august|september|october|november|december)",
    "in the (?:summer|spring|winter|autumn)",
    "at christmas", "back then", "used to", "years back", "(?:a )?(?:couple|few) (?:of )?weeks back",
    "(?:its|it s|it has) been (?:years|months|ages|a long time)(?: now)?",
    "(?:ist|sind) (?:jetzt |schon )?(?:\\w+ )?(?:jahre|monate|wochen) her",
    "(?:back )?at easter", "an ostern", "(?:when|while) i was pregnant", "als ich schwanger war",
    "last (?:christmas|easter|summer|winter|spring|autumn|birthday|new year)",
    "letzte[ns]? (?:weihnachten|ostern|sommer|winter|silvester)",
    "vor (?:\\w+ )?(?:wochen|monaten|jahren)", "letzte[nrs]? (?:woche|monat|jahr|sommer|winter)",
    "im (?:januar|februar|marz|april|mai|juni|juli|august|september|oktober|november|dezember)",
    "im (?:sommer|winter|fruhling|herbst)",
    "an weihnachten", "damals", "fruher",
    # round 5: a time of the relationship or a frame long past, with no date ("back when we were together",
    # "that time he ...", "als wir noch zusammen waren", Bavarian "damois", "is scho lang her")
    "(?<!came )(?<!come )(?<!comes )(?<!got )(?<!get )(?<!coming )(?:back )?(?:when|while) (?:we|i) "
    "(?:were|was|lived|was living|were living) (?:still )?(?:together|married|with him|going out|a couple)",
    "(?:when|while) (?:we|i) (?:still )?(?:lived|was living|were living) (?:together|with him)",
    "(?:when|while) (?:we|i) (?:was|were) still (?:living )?(?:together|with him|married)",
    "that time (?:he|when)", "a (?:while|good while|long while) (?:back|ago)", "years (?:back|ago)",
    "(?:the|that) (?:night|day|week|morning) (?:i|we) (?:moved out|left(?: him)?|split up|broke up)",
    "before (?:the|our) (?:split|separation|break ?up|divorce)",
    "before (?:we|i) (?:split up|separated|broke up|left him)",
    "als (?:wir|ich) (?:noch )?(?:mit ihm )?(?:zusammen|verheiratet|ein paar) "
    "(?:waren|war|wohnten|lebten|gewohnt haben|gelebt haben)",
    "als ich (?:noch )?(?:bei|mit) ihm (?:war|wohnte|gewohnt hab|gewohnt habe|zusammen war)",
    "in der zeit (?:als|wo|mit ihm)", "(?:vor|nach) (?:der|unserer) trennung", "damois", "domois", "damals mal",
    "(?:is|ist|war|isch) (?:jetzt |scho |schon |ja |doch )*(?:lang|lange|ewig|ewigs) her",
    "ages ago", "(?:a )?long time ago", "last (?:yr|yer|yeer)", "lst (?:year|yr)", "letzte[nrs]? jar",
    "(?:on |at )?new years eve", "(?:an |zu )?silvester", "(?:das war )?(?:noch )?bevor wir "
    "(?:umgezogen|weggezogen|ausgezogen) (?:sind|waren)", "before (?:we|i) (?:moved|left)(?: out| away| house)?",
    "since (?:january|february|march|april|may|june|july|august|september|october|november|december)",
    "seit (?:januar|februar|marz|april|mai|juni|juli|august|september|oktober|november|dezember)",
    "(?:ist|war|sind) (?:schon |ja |doch )?lange (?:her|vorbei)", "ewig her",
)
# Her memory of it, not the event, is in the present: "I still think about it", "daran denk ich noch oft".
MEMORY = _words(
    "(?:i |and i |but i )?(?:still|often|sometimes) (?:think|dream|have (?:nightmares|flashbacks)|remember|get "
    "flashbacks)"
    "(?: about| of)?(?: it| that| him)?",
    "(?:it )?still (?:haunts|upsets|bothers|scares|affects) me", "cant stop thinking about it",
    "(?:ich )?(?:denk|denke|traum|traume) (?:ich )?(?:noch |immer noch |oft |manchmal |heute noch )+(?:daran|dran|"
    "davon)",
    "(?:daran|dran|davon) (?:denk|denke|traum|traume) ich (?:noch|immer noch|oft|manchmal|heute noch)(?: oft| "
    "manchmal)?",
    "(?:hab|habe) (?:noch |immer noch )?(?:albtraume|alptraume|flashbacks)",
    # her telling it now, not the event: "two years ago he ..., I'm only telling you now"
    "(?:ive |i have |i )?(?:only )?(?:just )?(?:found|got|plucked up|have) (?:the )?(?:courage|strength|nerve) to "
    "(?:say|tell|write|admit)(?: (?:you|it|this))?",
    "(?:ich )?trau mich erst jetzt(?: (?:zu sagen|das zu sagen|zu schreiben|es zu sagen))?",
    "(?:im |i am |i m )?(?:only |just |finally )?(?:telling|saying|mentioning|reporting|writing) (?:\\w+ ){0,2}now",
    "(?:erzahl|erzahle|sag|sage|melde|schreib|schreibe) (?:ich )?(?:es |das |dir |euch |ihnen )?"
    "(?:jetzt erst|erst jetzt)",
    "(?:jetzt|heute) erst (?:erzahl|erzahle|sag|sage|melde|schreib|schreibe)\\w*",
    # round 5: the trace it left, her silence until now
    "(?:i |and i |but i )?(?:still )?(?:have|got|has|bear) (?:the |a |some )?scars?(?: from it)?",
    "(?:hab|habe|hab ich|habe ich) (?:noch |immer noch )?(?:die |eine )?narben?",
    "(?:until|till|til|up to|up until) now", "bis (?:jetzt|heute) (?:\\w+ ){0,3}(?:erzahlt|gesagt)",
    # round 9: a dream of him, not him ("keep having nightmares that he's in the house", "träum dauernd dass er ...")
    "(?:i )?(?:keep |kept |still |always )?(?:having |have |had |get |getting )?(?:nightmares?|bad dreams?|dreams?|"
    "dreaming|dreamt|dreamed)(?: \\w+){0,3} (?:that|about|where)(?: \\w+){0,8}",
    "(?:ich )?(?:traum|traume|traumt|hab|habe|hatte) (?:\\w+ ){0,3}(?:albtraume?|alptraume?|traume?)?(?: \\w+){0,2} "
    "(?:dass|das|wie) (?:er|mein ex|der)(?: \\w+){0,8}",
)
# Figures of speech with violent words: "work is killing me", "I could kill for a coffee", "die Arbeit bringt mich um".
IDIOM = _words(
    "(?:work|this|it|that|the heat|heat|this heat|the film|the film was|my (?:back|feet|head|knees|boss)|traffic|"
    "this week|the job|my job|you|youre|ur|u|lol|haha|the commute|the wait|the waiting|the stress|stress|revision|"
    "exams?)"
    " (?:is |are |was |were |s |re |has been |have been |been |s been )?killing (?:me|us)",
    "(?:could|would) (?:kill|murder) for",
    # round 6, any thing or non-partner as the subject ("my teenager is killing me", "work is murdering me this week",
    # "die Hitze bringt mich noch um"); never him, a partner or a pronoun for a person
    "(?!(?:he|hes|him|ex|they|theyre|she|shes|it s|boyfriend|bf|husband|hubby|partner|fella|bloke|man|guy|brother|"
    "dad|father|literally|actually|honestly|slowly|really|is|s|are|re|was|been|gonna|going|will|ll|to|and|but|now)"
    "(?![a-z0-9]))[a-z]+ (?:is |are |was |s |re |has been |have been |been |s been )?(?:literally |actually |"
    "honestly |slowly |really )?(?:killing|murdering) (?:me|us)(?! (?:with|now|right now|rn|he|im))",
    "(?!(?:er|sie|ex|mann|exmann|freund|exfreund|partner|bruder|vater|typ|kerl|der|die|das|noch|wirklich)"
    "(?![a-z0-9]))[a-z]+ (?:bringt|bringen|macht|killt) mich (?:\\w+ ){0,2}(?:noch )?(?:um|fertig)(?: \\w+){0,3}$",
    # round 6: burnt while cooking or ironing, not on purpose ("ich verbrenn mich wieder am Herd beim Kochen")
    "^(?!.*(?:absichtlich|mit absicht|on purpose|deliberately|zigarette|cigarette|feuerzeug|lighter))"
    "(?=.*(?:beim (?:kochen|backen|bugeln)|cooking|baking|ironing the|doing the ironing))"
    ".*(?:verbrenn\\w*|verbrannt|burn\\w*|burnt|singed?)",
    # round 6, everyday things that break or are thrown up: "the boiler broke", "the cat threw up", "tea break"
    "(?:threw|throw\\w*|thrown|chuck\\w*|chucked) up", "broke down", "(?:tea|lunch|coffee|half term|summer|school|"
    "christmas|easter|weekend|city|short|little|a|the) break(?:s)?(?! (?:in|down the door|the door|my|me))",
    "(?:boiler|car|washing machine|phone|heating|fridge|freezer|oven|laptop|tv|telly|dishwasher|hoover|kettle|"
    "printer|screen|heizung|waschmaschine|auto|handy|kuhlschrank|herd|spulmaschine|fernseher|drucker) "
    "(?:\\w+ ){0,2}(?:broke|broken|has broken|is broken|went|kaputt|ist kaputt|kaputtgegangen)",
    "(?:bin|ich bin|war) (?:total |voll |echt )?(?:fix und fertig|kaputt|erledigt)",
    # everyday exasperation: "had enough of this rain", "ich könnt heulen, ... lol"
    "(?:had|have|hab|habe|ive had) (?:enough|genug|it|die nase voll) (?:of|with|von|vom|mit) "
    "(?:this |the |that |my |dem |"
    "diesem |der |den |die |meinem )?(?:rain|weather|heat|cold|snow|noise|traffic|school run|homework|washing|cleaning|"
    "week|work|boss|neighbou?rs\\w*|regen|wetter|hitze|kalte|schnee|larm|verkehr|schulweg|hausaufgaben|wasche|"
    "putzen|woche|"
    "arbeit|chef|nachbar\\w*)",
    "(?:could|konnt|konnte) (?:cry|scream|heulen|schreien) (?:\\w+ ){0,8}(?:lol|haha\\w*|xd)",
    # a long day and bed, a holiday; a toddler "nearly killed me"; medicine from the doctor that helps
    "(?:long|langer|lange|harter|hard|tough|busy) (?:day|tag|week|woche|shift|schicht)",
    "(?:want|need|will|muss|brauch|brauche) (?:\\w+ ){0,2}(?:my bed|ins bett|in mein bett|a holiday|urlaub|a bath|"
    "a cuppa|a nap|a break|auszeit|pause)",
    "(?:little one|baby|toddler|kids?|daughter|son|tantrum|dog|cat)(?:s| s)? (?:\\w+ ){0,2}(?:nearly|almost) "
    "(?:killed|murdered) me",
    "(?:die kleine|der kleine|die kinder|meine tochter|mein sohn|der hund|die katze) (?:hat|haben) mich (?:\\w+ ){0,2}"
    "(?:fast|beinahe) umgebracht",
    "(?:tabletten|pillen|medikamente|tablets|pills|meds) (?:\\w+ ){0,3}"
    "(?:vom arzt|von der arztin|from the (?:gp|doctor))",
    "(?:helfen|hilft|help|helps|helping) (?:\\w+ )?(?:gegen|with|for) (?:die |my |the |meine )?"
    "(?:kopfschmerzen|headaches?|migraine|migrane|schmerzen|pain|allergie|hay ?fever|heuschnupfen)",
    # round 4: medicine for a headache or a fever, life admin
    "(?:tabletten|pillen|tablets|pills|painkillers|ibuprofen|paracetamol) (?:\\w+ ){0,5}(?:gegen|for) "
    "(?:die |my |the |meine |a |mein )?(?:kopfschmerzen|kopfweh|headaches?|migraine|migrane|schmerzen|pain|"
    "period pains?|regelschmerzen|fieber|fever|erkaltung|a cold|zahnschmerzen|toothache|ruckenschmerzen|back pain)",
    "life admin", "lebensversicherung", "life insurance",
    "(?:tu|tue|gonn|gonne) mir (?:\\w+ ){0,2}(?:was|etwas) (?:gutes|schones|nettes)", "treat(?:ing)? my ?self",
    # tired, said alone ("ich bin müde"); changing a razor blade
    "^(?:ich bin |bin |im |i am |i m )?(?:so |soo |echt |total |really |very |just |einfach )?"
    "(?:mude|tired|erschopft|knackered|exhausted|kaputt|shattered)$",
    "klinge (?:vom|des|am|im) rasierer|rasier(?:er|klinge)\\w* (?:\\w+ )?gewechselt",
    "chang\\w* (?:the|my) razor(?: blade)?",
    "(?:traffic|this|it|the commute|the queue|the heat|work|parking|the school run) (?:is|was|s) (?:\\w+ )?murder",
    # round 8 (after dev19's first reading): she "could strangle" a relative or a pet (never him or a partner)
    "(?:could|would|gonna|going to|will|ll|i ll|ill|konnt|konnte|werd|werde) (?:\\w+ )?"
    "(?:strangle|throttle|kill|murder|erwurgen|umbringen|killen) (?:my |meine |meinen |den |die |the )?"
    "(?:little |kleine |kleinen )?(?:sister|brother|"
    "mum|mam|mom|dad|boss|kids?|son|daughter|neighbou?rs?|cat|dog|mate|friend|flatmate|landlord|teacher|schwester|"
    "bruder|mama|mutter|papa|chef|chefin|kinder|sohn|tochter|nachbar\\w*|katze|hund|vermieter\\w*|lehrer\\w*)",
    # round 8: him taken off the programme ("can he get kicked off the course", "fliegt er aus dem Kurs")
    "(?:kick|kicked|kicking|chuck|chucked|thrown|throw|booted|get kicked|gets kicked) (?:\\w+ )?(?:off|out of|from) "
    "(?:the |his |this |that )?(?:course|programme|program|group|sessions?)",
    "(?:raus ?geschmissen|rausgeworfen|rausfliegen|fliegt|geschmissen|geworfen) (?:\\w+ )?(?:aus |vom |von )?"
    "(?:dem |der )?(?:kurs|programm|gruppe|training)",
    "(?:aus |vom |von )(?:dem |der )?(?:kurs|programm|gruppe|training) (?:\\w+ )?(?:raus ?geschmissen|rausgeworfen|"
    "geschmissen|geworfen|fliegen|fliegt)",
    "(?:killing|killed) it", "dressed to kill", "kill (?:time|the time)",
    "(?:die|diese) (?:arbeit|hitze|woche|warterei|schule)(?: \\w+){0,2} (?:bringt|bringen|bringen mich|macht) mich "
    "(?:\\w+ ){0,2}(?:um|fertig)",
    "(?:der|mein|dieser) (?:stress|job|chef|rucken|kopf)(?: \\w+){0,2} (?:bringt|macht) mich (?:\\w+ ){0,2}(?:um|"
    "fertig)",
    "(?:das|es) (?:bringt|macht) mich (?:noch )?(?:um|fertig)(?: lol| haha)?$",
    "(?:arbeit|hitze|stress|woche|job|schule|warterei) (?:\\w+ )?killt mich", "(?:work|heat|job|stress|this) kills me",
    "(?:bringt|bringen|bringst) (?:mi|mich) (?:\\w+ ){0,2}ins grab", "(?:be|is) the end of (?:me|us)",
    "um den verstand", "totlachen", "tot ?gelacht", "lach mich tot",
    "(?:mum|mom|mam|mother|nan|gran|sister|boss|teacher|bestie|friend|landlord|manager|daughter|son|kids|teenager|"
    "cousin|aunt|auntie|flatmate)(?:s| is| s)? (?:\\w+ )?"
    "(?:going to|gonna|will|ll|is going to) (?:kill|murder) me",
    "(?:mutter|mama|mutti|oma|schwester|chef|chefin|lehrerin|freundin|tochter|sohn|kinder|cousine|tante) (?:\\w+ )?"
    "(?:bringt|wird) mich (?:\\w+ "
    "){0,2}(?:um|umbringen)",
    "(?:brought|bringing|brings|dropped|drops|dropping) (?:the kids|them|the children) (?:\\w+ )?back",
    "(?:bringt|brachte|hat) (?:die kinder|sie) (?:\\w+ ){0,2}(?:zuruck|gebracht)",
    # presence words that place him nowhere near: "outside the country", "the kids are back at school"
    "outside (?:the |this )?(?:country|uk|area|city|town|county|prison)",
    "(?:back|zuruck) (?:at|to|in|from) (?:\\w+ )?(?:school|work|college|nursery|holiday)",
    "ausserhalb (?:der stadt|des landes|von \\w+)", "(?:wieder )?(?:in der schule|auf der arbeit|im urlaub)",
    "(?:lives|living|moved|wohnt|gezogen|lebt) (?:\\w+ ){0,2}(?:far away|weit weg|miles away|abroad|im ausland)",
    "(?:hes|he is|he s|er ist|er isch|er is|isch er|ist er) (?:\\w+ )?(?:miles|far|hundreds of miles|weit|wit|wiit) "
    "(?:away|weg)",
    # round 5: "my toddler will be the death of me", looking over my shoulder
    "(?:be|is|will be|gonna be|going to be|ll be) the death of (?:me|us)", "over (?:my|her|your|our) shoulders?",
    # everyday words near self-harm words: her usual medicine, a skipping rope, ending a shift, leaving him
    "(?:took|taken|take|had|taking) (?:my|the) (?:usual )?(?:tablets|pills|meds|medication|medicine)"
    "(?: \\w+){0,3} (?:as usual|like normal|like always|this morning|with breakfast|on time|as prescribed)",
    "(?:meine|die) (?:tabletten|pillen|medikamente) (?:\\w+ ){0,4}(?:genommen|eingenommen|nehmen)"
    "(?: \\w+){0,2} (?:wie immer|wie jeden tag|heute morgen|heute fruh|zum fruhstuck|punktlich|wie verschrieben)",
    "(?:meine|die) (?:tabletten|pillen|medikamente) (?:hab|habe) ich (?:heute morgen|heute fruh|wie immer) genommen",
    "skipping rope|jump rope|springseil|rope swing|tow rope|climbing rope|washing line|kletterseil",
    "rope (?:\\w+ ){0,3}(?:swing|climbing|washing|tent|boat|dog|garden)",
    "seil (?:\\w+ ){0,3}(?:schaukel|klettern|wasche|zelt|boot|hund|garten)",
    "end(?:ing)? (?:my|the|our) (?:shift|day|call|contract|lease|subscription|tenancy)",
    "(?:fur heute|mit der arbeit|mit ihm|mit dem typ) schluss|schluss (?:fur heute|mit der arbeit|gemacht mit ihm)",
    "feierabend|(?:fruher|fruh) schluss|mit ihm schluss (?:gemacht|machen)",
    # round 9 (after the eighth frozen set, spent): "I'd kill for a lie-in", the gym "nearly killed me", the boss
    # "killt mich", "you saved my life", "the land of the living dead" (night shift)
    "(?:id|i d|ill|i ll) (?:kill|murder) for",
    "(?:gym|workout|run|spin|class|stairs|hike|walk|training|zumba|session|hills?|shift|pilates|yoga|bootcamp|circuits|"
    "parkrun|marathon|10k|5k|swim|that film|the film|laughing|laugh) (?:\\w+ ){0,3}(?:nearly|almost|literally|proper|"
    "actually|totally|basically) killed (?:me|us)",
    "(?:chef|chefin|boss|lehrer\\w*|mama|mutter|mutti|oma|schwester|vermieter\\w*) (?:\\w+ )?killt mich",
    "(?:saved|save|saving) (?:my|our|me my) (?:\\w+ )?life", "life ?saver",
    "(?:mein|das|mir das|mir mein) (?:\\w+ )?leben (?:gerettet|retten)", "lebensretter\\w*",
    "(?:land of the )?living dead",
    # round 9: where he will be at a set time (a call-back), her being on this service: no presence of him now
    "(?:he ll|hell|he will|he is|hes|he s|he d|hed|da ist er|dann ist er|er ist (?:da|dann)) (?:be )?(?:\\w+ )?"
    "(?:at|in|bei|auf) (?:his|the|seiner|seinem|der|dem|work|arbeit) ?(?:group|course|class|session|sessions|shift|"
    "training|job|gym|gruppe|kurs|schicht|termin|arbeit|work)\\w*(?: then| dann| da)?",
    "(?:dass|das|wenn|ob) ich (?:\\w+ )?hier (?:bin|angemeldet|schreibe|bin angemeldet)",
    "(?:da|dann) ist er (?:\\w+ )?(?:arbeiten|in der arbeit|auf arbeit|auf der arbeit|beim training|beim sport)",
    "(?:dying|died|dead|nearly died|almost died) (?:of |from |with )?(?:laughter|laughing)", "tot ?gelacht\\w*",
    # a goodbye to a thing, a place or people at work or school ("said goodbye to the nursery staff", "goodbye from
    # the old number"), never to everyone, the children or the world
    "(?:said|say|saying|says|sagte|gesagt|sagen) (?:\\w+ )?(?:goodbye|bye|tschuss|auf wiedersehen) (?:to|zu|an) "
    "(?:the|my|our|his|her|die|den|das|meine|meinen|unsere|unseren) (?:old |alte |alten )?(?:\\w+ )?(?:staff|teachers?|"
    "nursery|school|class|team|colleagues|neighbou?rs|house|flat|car|job|office|erzieher\\w*|lehrer\\w*|kita|schule|"
    "klasse|kollegen|kolleginnen|nachbarn|wohnung|haus|auto|buro)",
    "(?:goodbye|bye|tschuss) (?:from|to|von|vom|an) (?:the|my|this|that|der|die|das|meine|meiner|meinem|dem) "
    "(?:old |alten |alte |new |neue |neuen )?(?:number|phone|flat|house|job|account|nummer|handy|wohnung|haus|job)",
    "(?:that|if|what) i(?:m| m| am| was) (?:on |using |talking to you |talking )?(?:here|this)",
)
# A question about what to do in an emergency is no call for help: "who do I call in an emergency".
ASKING_ABOUT = _words(
    "(?:in|for) (?:an |a |case of (?:an )?)?emergency(?! now)", "im notfall", "fur den notfall",
    # a question from its first word: "what happens if I call the police", "wird die Polizei informiert"
    "^(?:what|who|how|when|where|which|will|does|do|wer|wie|wann|wen|wird|werden|welche) (?:\\w+ ){0,5}"
    "(?:police|emergency|notruf|polizei)(?: numbers?| nummern?| station| told| informiert| erfahren)?",
    "(?:help|hilfe) (?:with|for|zu|zum|zur|mit|bei) (?:\\w+ )?(?:the |den |der )?(?:settings|menu|app|einstellungen|"
    "buttons?|antworten)",
    # what the service helps with: "do you help with housing as well", "helft ihr auch bei der Wohnungssuche"
    "^(?:do|can|could|does|will|would) (?:you|u|ye|ya|they|the service|this service|the programme|this) "
    "(?:also |even |still |ever )?help (?:with|people|women|mums|mothers|families|me with|us with|find)",
    "^(?:helft|helfen|hilft) (?:ihr|sie|das programm|der dienst) (?:auch |denn |eigentlich )*"
    "(?:bei|mit|beim|frauen|muttern)",
)
# Said for later, not now: "he's coming tomorrow", "er kommt am Samstag". Cancels "he's"/"er kommt" as a present anchor.
FUTURE = _words(
    "tomorrow", "tmrw", "tonight at \\d+",
    "next (?:week|month|weekend|time|monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    "on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?", "at the weekend",
    "this (?:weekend|saturday|sunday)",
    "at \\d+(?: ?(?:am|pm|oclock))?", "later",
    "morgen", "ubermorgen", "nachste (?:woche|mal)",
    "nachsten (?:monat|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)",
    "am (?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|wochenende)", "um \\d+(?: uhr)?", "spater",
)
# Violence said not to have happened (since): "he hasn't hit me since", "er schlägt mich nicht mehr".
NEGATED_VIOLENCE = _words(
    "(?:hasnt|has not|hasn t|havent|never|didnt|did not|doesnt|does not|wont|will not|not) (?:\\w+ )?"
    "(?:hit|hurt|touched|threatened|pushed|grabbed|kicked|slapped|laid a (?:finger|hand) on|raised (?:a|his) hand to|"
    "raised his voice (?:at|to)|shouted at|yelled at)"
    "(?: me| us| the kids| anyone| anybody| her)?(?: (?:since|again|in (?:weeks|months|ages)|any ?more|for (?:weeks|"
    "months|ages)))?",
    "(?:hat|hatte) (?:\\w+ ){0,2}(?:keinem|niemandem|keinen) (?:\\w+ ){0,2}(?:getan|wehgetan|weh getan)",
    "no (?:violence|threats|shouting) (?:since|for|in)",
    "(?:schlagt|bedroht|schubst|beruhrt|tritt) (?:mich|uns) (?:\\w+ )?(?:nicht mehr|nie mehr|seitdem nicht|seit \\w+ "
    "nicht)",
    "(?:hat|hatte) (?:er )?(?:mich|uns) (?:\\w+ ){0,4}(?:nicht mehr|nie mehr|seitdem nicht|nicht) (?:geschlagen|"
    "bedroht|geschubst|angefasst|verletzt|getreten)",
    "keine gewalt mehr",
)
# In the present whatever else is said: "he's back", "help me", "a minute ago".
NOW_AFTER_ALL = _words(
    "(?:hes|he is|he s)(?! (?:been|gone|not|left|never|always|usually|calmer|fine|ok|okay|moved|in prison|in jail"
    "|away))",
    # dev14's first reading: he has not gone ("er ist nicht weg", "he hasn't left", "he's still here")
    "(?:er ist|er is|er isch|hes|he is|he s) (?:\\w+ )?(?:nicht weg|nicht gegangen|nid gange|not gone|still here|"
    "still in)",
    "(?:he|hes|he s) (?:hasnt|has not|hasn t|never) (?:actually )?(?:left|gone)(?! (?:me|us|her) alone)",
    "help+ me", "help+ us", "please help", "pls help", "sos", "hilfe+", "hilf mir", "helft mir",
    "er (?:ist|steht|kommt|sitzt|wartet|sucht|parkt|hammert|tritt|schreit|brullt)"
    "(?! (?:nicht|weg|gegangen|ausgezogen|ruhig|ruhiger))",
    # ongoing since a time of today: "parked outside for hours", "steht seit Mittag gegenüber" (NOW_WEAK)
    "since (?:lunch\\w*|this morning|breakfast|\\d+(?: ?(?:am|pm|oclock))?)",
    "seit (?:stunden|mittag|heute (?:fruh|morgen|mittag)|\\d+ (?:uhr|stunden)|der nacht|heute nacht)",
    # dev16's first reading: a clock time said in words ("seit halb sechs", "since half 5", "since quarter past")
    "seit (?:halb|viertel (?:nach|vor)|dreiviertel) \\w+", "seit (?:eins|zwei|drei|vier|funf|sechs|sieben|acht|neun|"
    "zehn|elf|zwolf)(?: uhr)?", "since (?:half|quarter (?:past|to)) \\w+",
    "a (?:second|minute|moment|few (?:seconds|minutes)) ago", "(?:seconds|minutes|\\d+ mins?) ago", "just",
    "eben", "gerade eben", "vor (?:einer|ein paar|zwei|drei|funf|\\w+)? ?(?:minuten|sekunden|minute|sekunde)",
    # round 5: ongoing for hours whatever else is told ("he's been outside for hours, a while back he ...")
    "(?:hes|he s|he has|its|it s|theyve|they ve|they have|(?:his|the) (?:car|van|truck)(?: s|s| has)) been "
    "(?:\\w+ ){0,4}for (?:hours|ages|\\d+ hours|the last \\w+ hours)",
    "(?:outside|parked|waiting|sitting|sat|standing|stood|watching|out there) (?:\\w+ ){0,3}for (?:hours|\\d+ hours|"
    "the last \\w+ hours)",
    "seit (?:\\w+ )?(?:stunden|stunde|zwei stunden|drei stunden|ner stunde|einer stunde)",
)
# Weak anchors of the present (round 5): "for hours" is ongoing today, unless the message places the event long ago
# or over ("he used to lock me in for hours", "we've been separated for ages"); her wish now is not the event's time
# ("I just want it written down").
# Round 8: anchors that say it is happening at this moment (not "now" / "jetzt" alone, which often says where she
# is since: "I'm at my mum's now", "jetzt bin ich bei meiner Schwester")
NOW_STRONG = _words(
    "right now", "rn", "just now", "as we speak", "this minute", "still", "again", "keeps?", "wont stop", "won t stop",
    "gerade", "grad", "grade", "gerade eben", "eben", "immer noch", "schon wieder", "wieder", "hort nicht auf",
    "a (?:second|minute|moment|few (?:seconds|minutes)) ago", "(?:seconds|minutes) ago", "sofort", "gleich",
)
NOW_WEAK = _words("for (?:hours|ages|\\d+ hours|the last \\w+ hours)")
HER_WISH_NOW = _words(
    "(?:i |i m |im |i am )?just (?:want|wanted|wanna|need|needed|wish|thought|think|feel|felt|wondered|wondering|"
    "to (?:say|let|tell|ask))",
)
# What her own life at risk is about: without one of these the model's self-harm guess is not acted on.
SELF_HARM_CUE = _words(
    "(?:to|i|id|i d|ill|i ll|rather|just|wanna|gonna|could|might|will|and|or|let me|gonna|should) die",
    "die (?:tonight|today|now|soon|alone|in my sleep)", "dying", "dead", "death", "suicid\\w*", "kill\\w*", "kms",
    "unalive", "life", "living", "alive", "live",
    "end it", "end (?:it )?all", "over", "tablets?", "pills?", "meds", "medication", "overdos\\w*", "paracetamol",
    "painkillers", "cut\\w*", "hurt\\w* my ?self", "harm\\w*", "wake up", "goodbye", "bridge", "rope",
    "better off", "sleep forever", "end(?:ing)? (?:it|things|everything|my)",
    "sterben", "sterbn", "stirbt", "stirbst", "tot", "tod", "todlich", "leben", "\\w+tabletten", "\\w+pillen",
    "suizid\\w*", "selbstmord\\w*", "umbring\\w*", "tabletten", "pillen",
    "medikamente", "ritz\\w*", "geritzt", "schneide\\w*", "aufwachen", "abschied", "brucke",
    "besser dran", "schlafen", "weh\\w*", "verletz\\w*",
    # said indirectly: not being here, a goodbye, things given away, a burden
    "without me", "exist\\w*", "be here", "being here", "be around", "wasnt around", "not around", "burden",
    "letters? for", "given (?:\\w+ )?away", "giving (?:\\w+ )?away", "sorted (?:out )?my things",
    "wont (?:be )?need(?:ing)?",
    "goodbyes?", "say(?:ing)? goodbye", "where (?:im|i am) going", "no (?:use|need) for (?:them|it|anything)",
    "verabschied\\w*", "(?:wo|wohin) ich (?:hin)?geh\\w*", "brauch (?:ich )?(?:die|das|sie|ich) (?:\\w+ )?nicht mehr",
    "come back", "dark thoughts", "no way out", "tired of (?:being alive|life|living)",
    "ohne mich", "nicht mehr da", "weg (?:ware|bin)", "mich nicht (?:mehr )?(?:gabe|gibt)", "lebensmud\\w*",
    "mude vom leben",
    "verschenkt", "gleise", "schienen", "bahngleise", "train tracks", "railway (?:line|tracks?)", "the tracks",
    "(?:rasier)?klinge", "briefe? fur", "briefe? an (?:die|meine|unsere) (?:kinder|tochter|sohne|familie)",
    "letters? to (?:the|my|our) (?:kids|children|family|daughters?|sons?)",
    "(?:driving|drive|crash\\w*|steer\\w*) (?:\\w+ ){0,2}into (?:a|the) (?:wall|tree|lorry|truck|bridge|river)",
    "(?:gegen|in) (?:einen|eine|die|den) (?:baum|wand|mauer|brucke\\w*|lkw|laster|fluss) (?:zu )?"
    "(?:fahren|rasen|knallen|lenken|steuern)", "zuruckkommen", "dunkle gedanken", "kein ausweg", "weitermachen",
    "weiterleben",
    # round 8: "dem Ganzen ein Ende machen" (never a quarrel or a habit being ended: only the whole, everything)
    "(?:dem|allem) (?:ganzen |allem )?(?:heute |jetzt |endlich |bald )?ein ende (?:mach|setz)\\w*",
    "(?:mach|setz)\\w* (?:ich )?(?:heute |jetzt |endlich |bald )?(?:dem ganzen|allem) (?:\\w+ )?ein ende",
)
# Warning signs said indirectly (a burden, no reason to stay, no future, a goodbye, her funeral, not needed
# any more): asked about whatever the model says, since no model learns every way of saying it.
_PAPERS = "(?:passports|birth certificates|documents|papers|passe|papiere|geburtsurkunden|unterlagen)"
SELF_HARM_INDIRECT = _words(
    # round 7 (dev18's first reading): the children's papers handed over "and she'll know what to do" (never the
    # papers alone: a copy with a friend is part of an ordinary safety plan)
    f"(?:(?:kids|childrens|children|their|der kinder|kinder)\\w* (?:\\w+ ){{0,2}}{_PAPERS}|"
    f"{_PAPERS} (?:der|of the|of my|meiner) (?:kinder|kids|children|kleinen))"
    "(?: \\w+){0,12} (?:know|knows|weiss|wissen) (?:dann |then )?"
    "(?:what to do|was zu tun ist|was zu tun|was sie tun muss)",
    # after the sixth frozen set (spent): a plan told through where the children will be, or "Schluss machen"
    # with everything prepared (never "mit ihm Schluss machen", a break-up, nor a party or a trip being planned)
    "(?:alles|everythings?) (?:\\w+ ){0,2}(?:geplant|vorbereitet|organisiert|planned|sorted|arranged|ready)\\b"
    "(?: (?!geburtstag|urlaub|feier|party|ausflug|reise|hochzeit|birthday|holiday|trip|wedding|christmas|"
    "weihnachten)\\w+){0,12} (?:die kinder|meine kinder|the kids|my kids|the children) (?:\\w+ ){0,3}"
    "(?:bei|zu|with|at|to) (?:meiner|meinem|meine|my|their|der|dem) (?:\\w+ )?(?:schwester|mutter|mama|oma|bruder|"
    "eltern|sister|mum|mam|mom|nan|gran|brother|parents|dad)",
    "(?:beschlossen|entschieden) (?:(?!mit )\\w+ ){0,4}schluss (?:zu )?(?:mache|machen|mach)",
    # dev16's first reading: she does not expect to come back from where she is
    "(?:dont|do not|don t) think (?:i ll|ill|i will|im|i m|i am) (?:be )?(?:driving|going|coming|getting|making it) "
    "(?:home|back)", "(?:glaub|glaube) (?:\\w+ )?nicht (?:dass|das) ich (?:\\w+ )?(?:heim|nach hause|zuruck)"
    "(?:fahre|komme|gehe|schaffe)?",
    # round 6: worth more to them dead ("my life insurance would help the kids more than I do": the insurance is a
    # figure of speech for the cues, the comparison with herself is not)
    "(?:would|will|could) (?:help|do) (?:\\w+ ){0,3}more than i (?:do|ever did|ever could|can)",
    "worth more (?:dead|gone|to (?:them|everyone|the kids) dead)", "(?:tot )?mehr wert (?:tot|als lebendig)",
    "(?:my|own) funeral", "(?:dont|do not|no longer) need me any ?more", "(?:nobody|no one|noone) needs me",
    "(?:wont|will not|never) hear from me (?:again|any ?more)", "(?:my|this is my) (?:last|final) (?:message|text)",
    "final goodbye", "last (?:message|text|msg) from me",
    # round 8: going to her dead mother, father or child said as a plan (never a grave or a cemetery visited)
    "^(?!.*(?:grave|cemetery|graveyard|crematorium|grab|friedhof|urne|anniversary|jahrestag))"
    ".*(?:going|gonna|off|go|want|wanna|ready) (?:to )?(?:see|be with|join|go to) (?:my )?"
    "(?:mum|mam|mom|mummy|mammy|dad|daddy|nan|nana|gran|granny|baby|son|daughter)\\w*"
    "(?: \\w+){0,8} (?:died|passed|passed away|dead|gone|in heaven|lost her|lost him)",
    "^(?!.*(?:grab|friedhof|urne|jahrestag|todestag))"
    ".*(?:geh|gehe|komm|komme|will|mochte|fahr|fahre) (?:\\w+ ){0,3}(?:zu|zur|zum) (?:meiner |meinem |meine )?"
    "(?:mama|mutter|mutti|papa|vater|oma|opa|baby|sohn|tochter)\\w*"
    "(?: \\w+){0,8} (?:gestorben|verstorben|tot|im himmel|nicht mehr lebt|nicht mehr da)",
    "(?:letzte|meine letzte) nachricht (?:von mir|an euch|an dich)",
    "(?:planning|plan|going|intend\\w*|decided) (?:on |to )?not (?:be|being) (?:here|around|alive)",
    "nach (?:dem|der|diesem|dieser) \\w+ (?:bin ich )?nicht mehr (?:hier|da)",
    "(?:no|without) (?:version of )?(?:the |a |my )?future (?:with|for) me", "future without me",
    "(?:no|out of|any|not a single|no more) reasons? (?:left )?(?:to|for) (?:stay|staying|live|living|go on|"
    "going on|keep going|carry on|carrying on|be here|being here|stick around)",
    "sorry for (?:everything|being (?:such )?a (?:pain|burden))", "a burden (?:to|on) (?:everyone|you|them|my kids)",
    "goodbyes? (?:to everyone|to you all|to all of you|to the world|while i (?:still )?can|forever|for good)",
    "this is (?:my )?goodbye", "(?:wont|will not|dont) need (?:it|them|anything|any of it) where (?:im|i am) going",
    "not (?:be|being) (?:here|around) (?:much longer|for (?:much )?longer)",
    "(?:cant|cannot|can not) (?:face|survive|bear) (?:another|one more) day",
    "(?:want|wanna|need) (?:it all |everything )?to (?:end|stop) (?:for good|forever|for ever)",
    "disappear (?:forever|for good|for ever)",
    "(?:everyone|everybody|they|the kids|my kids)(?: would| will|d)? (?:\\w+ ){0,2}(?:better|easier|happier) "
    "(?:off )?without me",
    "(?:nobody|no one|noone)(?: would| will|d)? (?:even )?"
    "(?:miss me|notice if i|care if i (?:was|were|died|disappeared|wasnt))",
    "whats the point (?:of|in) (?:me|living|going on|trying|carrying on)",
    "(?:tired|sick) of (?:being alive|living|life|existing)", "no way out",
    "(?:want to|wanna|going to|gonna|thinking (?:about|of)|ready to|just) (?:end|ending) (?:it|things|everything)"
    "(?: all)?(?! with)",
    "meine (?:eigene )?beerdigung", "mein grab", "(?:keiner|niemand) braucht mich",
    "brauch(?:t|en)? mich (?:\\w+ )?(?:nicht mehr|eh nicht|nie mehr)$",
    "(?:hort|horen|hoert) (?:ihr )?nichts mehr von mir", "nie wieder von mir",
    "(?:das ist |ist )?meine letzte nachricht",
    "zukunft (?:\\w+ ){0,3}(?:ohne mich|komm ich nicht|gibt es mich nicht)",
    "(?:ich habe|ich hab|hab) keine zukunft", "fur mich (?:gibt es )?keine zukunft",
    "(?:kein|keinen|keine) (?:\\w+ ){0,2}grund\\w* (?:mehr )?(?:\\w+ ){0,3}(?:zu bleiben|zu leben|weiterzumachen|"
    "hier zu sein|da zu sein)",
    "(?:bin|ich bin) (?:\\w+ ){0,2}(?:eine|nur eine|nur noch eine) last",
    "(?:tut mir leid|sorry|entschuldigung) fur alles",
    "(?:mich|uns) (?:\\w+ ){0,2}von (?:allen|euch|allem|der welt) (?:zu )?verabschied\\w*",
    "verabschied\\w* mich (?:\\w+ ){0,2}von (?:allen|euch|allem|der welt)", "zeit (?:\\w+ ){0,3}verabschied\\w*",
    "leb(?:t)? wohl", "(?:nicht mehr lange|bald nicht mehr) (?:da|hier)",
    "(?:pack|schaff|halt|ertrag) (?:\\w+ )?(?:keinen|nicht noch einen) tag mehr",
    "(?:will|mochte|mocht) (?:\\w+ ){0,2}fur immer (?:verschwinden|schlafen|weg)",
    "fur immer (?:verschwinden|schlafen)",
    "ohne mich (?:\\w+ ){0,4}(?:besser|leichter|glucklicher|einfacher)",
    "(?:keiner|niemand) (?:wurde|wird) mich vermissen", "mude (?:vom|des) leben\\w*", "lebensmud\\w*",
    "keine kraft mehr (?:zu leben|fur (?:das|dieses|mein) leben|weiterzumachen)",
    "mein testament|testament (?:gemacht|geschrieben|aufgesetzt)", "ausweglos", "keinen ausweg",
    # better off if she were not there; a farewell (thanks for everything + take care); a car in the garage running
    "if i (?:just |simply )?(?:wasnt|was not|werent|wasn t|wasnt ever) (?:there|here|around|alive|in the picture)",
    "wenn ich (?:\\w+ ){0,2}nicht mehr (?:da|hier|am leben) (?:ware|war|bin)",
    "^(?=.*(?:thank you|thanks|thank u|danke) (?:so much |so very much |very much )?(?:for|fur) (?:everything|alles))"
    "(?=.*(?:take care of (?:yourself|yourselves|the kids)|look after (?:yourself|yourselves|the kids)|"
    "pass(?:t)? (?:gut )?auf (?:dich|euch|die kinder) auf|macht es gut|machts gut)).*",
    "garage (?:\\w+ ){0,6}(?:engine|motor) (?:running|on|lauft|an)",
    # a plan for tonight: "heute Nacht ..., es ist alles vorbereitet", "tonight, I've got it all planned"
    "(?:heute nacht|heut nacht|heute abend|tonight|tonite|2nite) (?:\\w+ ){0,8}"
    "(?:(?:es )?ist alles|alles ist|hab alles|habe alles|is all|everything s|everythings|everything is|got it all|"
    "got everything) (?:\\w+ )?(?:vorbereitet|geplant|bereit|"
    "planned|ready|prepared|sorted)",
    "(?:(?:es )?ist alles|alles ist|hab alles|habe alles|got it all|ive got it all|got everything|everything is|"
    "everythings) "
    "(?:\\w+ )?(?:vorbereitet|geplant|planned|prepared) (?:\\w+ )?(?:fur )?(?:heute nacht|heute abend|tonight)",
    "wozu (?:noch |eigentlich |ich )*(?:aufwachen|aufstehen|leben|weiterleben|weitermachen|da sein)",
    "(?:why|what for) (?:even |would i |should i |do i )*(?:bother )?(?:waking up|wake up|living|going on|being here)",
    "(?:engine|motor) (?:running|lauft) (?:\\w+ ){0,6}garage",
    # no longer afraid of dying; sorry for not being stronger; sorry + look after the children
    "(?:not|no longer|never) (?:\\w+ )?(?:scared|afraid|frightened) of (?:dying|death|being dead) (?:any ?more|now)",
    "(?:keine|nicht mehr) (?:\\w+ )?angst (?:mehr )?(?:vorm|vor dem|vor) (?:sterben|tod|totsein)",
    "(?:if|when) i (?:dont|do not|don t|stop) (?:reply|replying|answer|answering|respond|text back)(?: \\w+){0,3} "
    "(?:youll|you will|you ll|u ll|youd) know why",
    "wenn ich (?:\\w+ ){0,2}nicht mehr (?:antworte|schreibe|zuruckschreibe)",
    "(?:sorry|tut mir leid|verzeiht mir|verzeih mir|forgive me) (?:\\w+ ){0,4}"
    "(?:couldnt|could not|wasnt|was not|nicht) (?:be )?(?:stronger|strong enough|starker|stark genug)",
    "^(?=.*(?:sorry|tut mir leid|verzeiht|verzeih mir|forgive me))"
    "(?=.*(?:look after|take care of|pass(?:t)? (?:gut )?auf) "
    "(?:the |my |die |meine |auf )?(?:boys|girls|kids|children|jungs|madchen|kinder|kleinen)).*",
    # round 5: the place chosen, how she'd do it; the children placed elsewhere and everything settled
    "(?:worked out|picked|chosen|chose|found|decided on|looked up) (?:which|the|a|what) (?:bridge|cliff|multi ?storey|"
    "tower block|railway|train line|spot on the tracks)",
    "^(?=.*(?:besser aufgehoben|better off (?:with|at)|besser dran bei))"
    "(?=.*(?:alles geregelt|alles erledigt|alles organisiert|alles vorbereitet|made my peace|sorted everything|"
    "got everything sorted|everything is sorted|everythings sorted|everything s sorted|meinen frieden)).*",
    # round 9 (after the eighth frozen set, spent): a passive wish to be dead ("wouldn't mind if a bus hit me", "wär
    # mir recht wenn ich nicht mehr aufwache"), never about a thing she would not mind
    "(?:wouldnt|would not|wouldn t|wudnt|would(?:nt)? even|i wouldnt even|dont|do not|wont|would) "
    "(?:\\w+ )?(?:care|mind|be (?:sad|upset|bothered|sorry)|matter|complain) (?:\\w+ ){0,2}(?:if|when) (?:\\w+ ){0,6}"
    "(?:(?:hit|hits|ran|run|runs|knocked|mowed|killed|kills|kill|took|takes|got|flattened|ran over|run over) me|"
    "crash\\w*|went down|goes down|fell|falls|died|die|didnt wake|did not wake|"
    "never woke|dont wake|wont wake|never wake|stopped breathing|stop breathing)\\b",
    "(?:if|when) i (?:didnt|did not|dont|do not|wouldnt|never) (?:wake|woke) (?:up )?(?:\\w+ ){0,3}"
    "(?:id|i d|i would|i ll|ill|it d|itd|it would|that d|thatd|that would) (?:be )?(?:\\w+ )?"
    "(?:relieved|glad|happy|fine|ok|okay|grateful|thankful|a relief|be a relief|be fine|not mind|not care)",
    "(?:war|ware|wars|waers|waer) (?:mir )?(?:\\w+ )?(?:egal|recht|lieber|nur recht|ganz recht) "
    "(?:\\w+ )?(?:wenn|falls) (?:\\w+ ){0,6}(?:uberfahrt|uberfahren|umfahrt|erwischt|trifft|entgleist|"
    "absturzt|abstuerzt|"
    "sterb\\w*|tot|nicht mehr (?:aufwach\\w*|aufstehe|da)|nie mehr aufwach\\w*|einschlaf\\w* und nicht)",
    "(?:wenn|falls) ich (?:\\w+ ){0,2}(?:nicht mehr|nie mehr|nie wieder) aufwach\\w* (?:\\w+ ){0,2}(?:war|ware|wars) "
    "(?:\\w+ ){0,2}(?:recht|egal|gut|okay|ok|lieber)",
    # an earlier attempt and thinking of it again ("tried before, thinking about it again")
    "(?:tried|attempted|try) (?:it |once |twice |to |before |years ago |last year |a few years ago |as a teen\\w* )*"
    "(?:before|once|years ago|last year|twice|ago)(?: \\w+){0,8} (?:think\\w*|thought|thinkin|planning|want\\w*) "
    "(?:about |of |to )?(?:it|trying|doing it|do it|going|try)(?: \\w+){0,2} (?:again|properly|this time|nochmal)",
    "(?:last|first|previous|the) (?:time|attempt) i (?:tried|attempted)(?: \\w+){0,8} (?:again|this time|properly)",
    "(?:schon (?:mal|einmal)|fruher (?:mal|schon)|vor (?:\\w+ )?jahren|einmal|letztes jahr)"
    "(?: \\w+){0,4} (?:versucht|probiert)(?: \\w+){0,8} (?:wieder|nochmal|erneut|noch mal)",
    # harm to herself to feel something ("a few scratches, I needed to feel something", "damit ich was spüre")
    "^(?=.*(?:scratch\\w*|cut|cuts|cutting|carv\\w*|burn\\w*|pins?|razor\\w*|blades?|bleed\\w*|ritz\\w*|kratz\\w*|"
    "schneid\\w*|klinge|verbrenn\\w*|schere|nadel|blut\\w*))"
    "(?=.*(?:(?:to|so i|so i can|so i could|just to|i can|i could) feel (?:something|anything|real|alive)|"
    "only (?:thing|way) (?:\\w+ ){0,2}(?:feel|i feel)|"
    "(?:was|etwas|irgendwas) (?:zu )?(?:spur\\w*|fuhl\\w*)|uberhaupt (?:\\w+ )?(?:spur\\w*|fuhl\\w*))).*",
    # a goodbye for ever, or "can't do this any more" and a goodbye
    "(?:bye|goodbye|good bye|take care|farewell|machts gut|macht s gut|mach s gut|machs gut|tschuss|ciao|lebt wohl|"
    "abschied|adieu|see ya|cya)(?: \\w+){0,5} (?:for ever|forever|for good|fur immer|auf immer)",
    "^(?=.*(?:cant|can t|cannot|cnt|can not) (?:do|take|handle) (?:this|it) (?:any ?more|nemore|no more|no longer)|"
    ".*kann (?:\\w+ )?(?:nimma|nimmer|nicht mehr|nich mehr|nimmi)(?: |$))(?=.*(?:bye|goodbye|tschuss|ciao|adios|"
    "machts gut|servus|pfiat)).*",
    # a date or a day chosen, said with nothing it is for ("I've picked a date", "hab mir den Tag ausgesucht")
    "(?:ive|i ve|i have|i|weve|finally) (?:\\w+ )?(?:picked|chosen|chose|set|settled on|decided on|got) (?:a|the|my) "
    "(?:date|day)(?! (?:for|with|to|of|off|out|at|in the diary|trip|together))(?: (?!for|with)\\w+){0,8}$",
    "(?:hab|habe) (?:mir |ich )?(?:jetzt |schon |endlich )?(?:den|einen|das|meinen) (?:tag|datum|termin) "
    "(?:\\w+ )?(?:ausgesucht|festgelegt|gewahlt|beschlossen|ausgemacht)(?: (?!fur|mit|beim|zum|zur)\\w+){0,8}$",
    # safe from him, not from herself
    "(?:not|nicht|never|nie|no) (?:\\w+ ){0,3}(?:from|vor) (?:my ?self|mir selbst|mir selber|meinem eigenen kopf|"
    "my own head)",
    "(?:safe|sicher) (?:\\w+ ){0,2}(?:from|vor) (?:him|ihm)(?: \\w+){0,8} (?:not|nicht|but|aber)(?: \\w+){0,4} "
    "(?:from|vor) (?:my ?self|mir|my own)",
    "(?:from|vor) (?:my ?self|mir selbst|mir selber)(?: \\w+){0,3} (?:not|nicht|no|nope|nah|kaum|never|nie)\\b",
    "(?:scared|afraid|frightened) of (?:what i (?:might|could|ll|will) do to )?my ?self",
    # the danger is herself now ("today the danger isn't him, it's me", "die Gefahr bin jetzt ich")
    "(?:gefahr|danger|threat)(?: \\w+){0,4} (?:bin ich|bin jetzt ich|ich selbst|bin ich es|bin ich selber|is me|its me|"
    "it s me|is myself|im the one|i m the one)",
    "(?:bin ich|ich bin|i am|im|i m) (?:\\w+ )?(?:die gefahr|the danger|a danger to my ?self|eine gefahr fur mich)",
    # soon they will not need to check on her any more ("you won't need to check on me much longer")
    "^(?=.*(?:bald|soon|schon bald|nicht mehr lange|not long|much longer|after tonight|nach heute|ab morgen))"
    "(?=.*(?:(?:braucht|brauchen|musst|musst|muss)\\w* (?:\\w+ ){0,5}(?:nicht mehr|nimmer|nimma|nie mehr)|"
    "(?:wont|will not|won t|dont|do not|no longer) (?:\\w+ ){0,2}(?:need|have) to))"
    "(?=.*(?:check|melden|schreiben|nachricht|message|text|worry|sorgen|kummern|anrufen|call)).*",
    # a note or letter written, said alone ("I wrote a note", "hab einen Brief geschrieben")
    "^(?:(?:so|ok|okay|and|well|anyway|also|ja|und) )*(?:i |ive |i ve |i have )(?:just |already |finally )?(?:wrote|"
    "written|left|finished|done) (?:a|the|my|some) (?:note|letter|letters|notes)"
    "(?: (?:for (?:the kids|my kids|everyone|the children|you all|my family|my mum|my mam)|on the (?:table|side|bed|"
    "kitchen table|pillow)))?$",
    "^(?:(?:so|ok|also|ja|und) )*(?:ich )?(?:hab|habe) (?:jetzt |schon |endlich )?(?:einen|nen|den|ein paar|die) "
    "(?:brief|briefe|zettel|abschiedsbrief) (?:geschrieben|hingelegt|hinterlassen)(?: (?:fur die kinder|fur alle|auf "
    "dem tisch))?$",
    "(?:angst|furcht) (?:\\w+ )?vor mir (?:selbst|selber)",
    # a sedative, a sleeping pill or another's medicine taken with drink
    "^(?=.*(?:diazepam|valium|zopiclone|sleeping (?:pills|tablets)|sleepers|benzos?|xanax|lorazepam|temazepam|"
    "tramadol|codeine|oxy\\w*|morphine|insulin|schlaftabletten|schlafmittel|beruhigungs\\w*|tavor|"
    "(?:his|her|mums|my mums|dads|my dads|nans|my nans|seine|ihre|meiner mutter|meines vaters) (?:\\w+ ){0,2}(?:pills|"
    "tablets|meds|tabletten|pillen|medikamente)|(?:tabletten|pillen|medikamente) (?:von|vom) (?:meiner|meinem|seiner|"
    "ihrer|der|dem|mama|papa|oma|opa) ?\\w*))"
    "(?=.*(?:wine|vodka|gin|whisky|whiskey|rum|beer|cider|booze|drink|drunk|prosecco|wein|wodka|schnaps|bier|"
    "alkohol|sekt|korn)).*",
    # medicine taken all at once
    "(?:all|whole|entire|the rest of) (?:my |his |her |the )?(?:\\w+ )?(?:insulin|pills|tablets|meds|medication|"
    "medicine|pens?|doses?)(?: \\w+){0,2} (?:at once|in one go|all at once|together)",
    "(?:alle|ganze|gesamte|restlichen?) (?:meine |seine |die |das )?(?:\\w+ )?(?:insulin|tabletten|pillen|"
    "medikamente|spritzen) (?:\\w+ ){0,2}(?:auf einmal|auf einen schlag|zusammen|gleichzeitig)",
)
# Weaker: enough to ask her, never to alert on the model's word alone ("it to stop", "vorbei", "aus").
SELF_HARM_WEAK_CUE = _words(
    "over", "stop", "bye", "point", "disappear", "gone", "cope", "go on", "carry on", "anymore", "any more",
    "vorbei", "aufhort", "aufhoren", "aushalten", "aus", "sinn", "zweck",
    "so (?:they|she|he) (?:understands?|knows?)(?: why)?", "damit (?:sie|er) es (?:\\w+ )?versteh\\w*", "tschuss",
    "nicht mehr", "schaff\\w*",
    # round 5: she knows how already; made her peace (enough to ask when the model leans to self-harm)
    "(?:weiss|weis|know|knw) (?:\\w+ )?(?:schon|scho|already|exactly) (?:wie|how)", "made my peace", "meinen frieden",
    "how (?:i d|id|i would|i will|i ll|ill|im going to|i m going to|im gonna) do it",
    "wie ich (?:es|s) (?:mache|mach|machen werde|tun werde|tu)",
)
# She says she will not harm herself: "I'd never hurt myself", "ich würde mir nie was antun".
SELF_HARM_DENIAL = _words(
    # round 9: he was there and "now he's gone" ("jetzt ist er weg"), never gone to fetch something
    "(?:now|jetzt|inzwischen|mittlerweile|and now|und jetzt) (?:ist er|hes|he s|he is|is he|er ist) (?:wieder )?"
    "(?:weg|gone|away)(?! (?:to|um|and|und|for|holen|zu|get|fetch))",
    "not suicidal", "(?:never|not|wouldnt|would never|wont|dont|do not) (?:\\w+ )?(?:kill|hurt|harm) my ?self",
    "(?:dont|do not|never) want to die", "nicht suizidal",
    "(?:nie|niemals|nicht) (?:\\w+ ){0,2}(?:umbringen|mir (?:was|etwas) antun|mir das leben nehmen)",
)
# A call for help or for the police, however it is spelt ("helpp", "hilfeee", "hlp", "plz").
URGENCY = _words(
    "help+", "hel+p+", "hlp", "halp", "hepl", "helo", "sos", "police", "polizei", "999", "112", "110", "911",
    "please help", "plz", "pls help", "hilfe+", "hilf+", "hilfe+ bitte", "notruf", "notfall", "emergency",
)
DANGER_EMOJI = re.compile(  # 🆘 🚨 🔪 🩸 🚓 🚔 👮 😱 😨 😰 🔫 (the danger_emoji regex of nlu/<locale>/entities.yml)
    "[\U0001F198\U0001F6A8\U0001F52A\U0001FA78\U0001F693\U0001F694\U0001F46E\U0001F631\U0001F628\U0001F630\U0001F52B]"
)
# Not *feeling* safe now: a worry or danger, so asked about, never an alert by itself ("I'm not safe" is the net's).
FEEL_UNSAFE_NOW = _words(
    "(?:dont|do not|don t|cant|can t|never) (?:really )?feel (?:\\w+ )?safe (?:\\w+ )?(?:now|right now|rn|atm|"
    "at the moment|at this moment|this minute|tonight|here)",
    "(?:fuhl|fuhle) mich (?:hier |zuhause |zu hause |gerade |grad |grade |jetzt |im moment |heute nacht )+(?:gar )?"
    "nicht (?:mehr )?sicher",
    # round 9: "not safe now" said with nothing else
    "^(?:im |i m |i am |were |we re |we are |feel |feeling )?(?:really |so )?not safe (?:now|right now|rn|atm|here|"
    "tonight|at home|in here)$", "^(?:ich bin |bin |wir sind )?(?:gerade |grad |jetzt |hier )*nicht sicher"
    "(?: (?:hier|gerade|grad|jetzt|zuhause))?$",
)
# dev14's first reading: a message from him announcing he is on his way ("text from him: see you in 10", "nachricht
# von ihm: bis gleich"): asked about, never an alert by itself.
ARRIVAL_MESSAGE = _words(
    "^(?!.*(?:as agreed|wie abgemacht|wie besprochen|with the kids|mit den kindern|pick(?:ing)? (?:up|them)|"
    "drop(?:ping)? (?:off|them|the kids)|abholen|bringt die kinder))"
    "(?=.*(?:(?:text|message|msg|voicemail|voice note|dm|nachricht|sms|sprachnachricht|whatsapp) (?:\\w+ ){0,2}"
    "(?:from|von) (?:him|ihm|my ex|meinem ex)|"
    "(?<![a-z])(?:he|er) (?:just )?(?:texted|messaged|wrote|sent|schreibt|schrieb|hat geschrieben)))"
    "(?=.*(?:see (?:you|u|ya) (?:in \\d+|soon|shortly|in a (?:bit|minute|sec|mo))|on my way|omw|"
    "bis (?:gleich|nachher|sofort|bald|in \\d+)|bin (?:gleich|unterwegs|auf dem weg)|ich komm(?:e)? (?:jetzt|gleich)|"
    "coming (?:round|over|for you)|im coming|i m coming)).*",
)
# Round 7: a hiding place said alone, with nothing else ("under the stairs at my nan's", "im keller bei meiner
# schwester"): the whole message is the place. Asked about, never an alert by itself (an ordinary message is never
# only a wardrobe or a cellar).
PLACE_ALONE = _words(
    "^(?:(?:hiding|hidden|locked|shut|stuck|were|we re|im|i m|i am) )?(?:in|inside|under|behind|up in|down in|"
    "at the back of|round the back of|on the floor of) (?:the bed|(?:the |my |our |a |his |her |their |kids |"
    "childrens |back |front |spare |upstairs |downstairs |little |big |work |neighbours |\\w+s )*(?:wardrobe|"
    "cupboard|closet|bathroom|toilets?|loo|cellar|basement|attic|loft|shed|garage|stairs|boot|bins?|bush(?:es)?|hedge|"
    "utility(?: room)?|pantry|box room|laundry|wheelie bin))(?: (?:at|in|of|upstairs|downstairs|round|on|next door)"
    "(?: \\w+){0,4})?$",
    "^(?:(?:versteckt|eingeschlossen|eingesperrt|wir sind|ich bin|bin|sind) )?(?:unter(?:m| dem| meinem)? bett|"
    "(?:im|in|unter|unterm|hinter|hinterm|auf|aufm|ufem|hinta|unta)(?: \\w+){0,2} (?:keller|dachboden|speicher|"
    "estrich|schrank|kleiderschrank|bad|badezimmer|klo|toilette|wc|abstellkammer|kammer|garage|treppe|mulltonnen?|"
    "busch|hecke|gartenhaus|schuppen|waschkuche|kofferraum|kinderzimmer))(?: (?:bei|von|im|in|am|unten|oben|der|"
    "meiner|meinem|vo|bi)(?: \\w+){0,4})?$",
)
# Round 8: a plan to end her life said alone, with nothing else ("I know now how I'll do it", "ich weiß jetzt wie
# ich es mache"): the object is "it" / "es" and nothing is named after it. Asked about (kind self_harm), never an
# alert by itself; "I know how I'll do the cake", "ich weiß jetzt wie ich den umzug mache" name their object.
PLAN_ALONE = _words(
    "^(?:(?:ok|okay|so|well|right|anyway|yeah|yes|and|i think|finally|at last) )*(?:i|ive|i ve|i have) "
    "(?:now |finally |already |just )?(?:know|knw|kno|decided|worked out|figured out|planned|got it planned|sorted) "
    "(?:now |finally |already |exactly )?how (?:ill |ima |imma )?(?:i|im|i m|i am)? ?"
    "(?:will|ll|gonna|going to|am going to|m going to|want to"
    "|wanna|ll be doing|shall)?(?: )?(?:do|doing|end|ending) (?:it|this|it all|this all|everything)"
    "(?: now| then| finally| tonight| this time)?$",
    "^(?:(?:ok|okay|so|also|naja|ja|und|jetzt|endlich) )*(?:ich )?(?:weiss|weis|waas|woass|wees|hab|habe) "
    "(?:mir )?(?:jetzt |nun |endlich |schon |genau |jetz |jez |etz )*"
    "(?:(?:mir )?(?:uberlegt|ausgedacht|geplant|beschlossen) )?"
    "wie (?:ich|ichs) (?:es |das |dat |s )?(?:mache|mach|tue|tu|machen werde|machen will|mach ich|beende|beenden "
    "werde|zu ende bringe)(?: (?:jetzt|heute|heute nacht|dann|endlich))?$",
)
# Round 6: she says she is telling it for the record ("I want it on file", "for my solicitor", "ich möchte das
# melden", "soll in die Akte"): with the model sure of a report and nothing in the present, not asked about.
REPORT_FRAME = _words(
    "(?:want|like|need|wanted|would like|id like|i d like)(?: \\w+){0,3} (?:on (?:file|record|my file|the file|my "
    "record)|noted|written down|documented|logged|recorded|in my file|to be (?:noted|recorded|documented|logged))",
    "for (?:the|my) (?:file|records?|solicitor|lawyer|court|case|police|diary|notes)", "on (?:file|record)",
    "(?:i )?(?:want|need|wanted|would like|d like) to (?:report|log|record|document|tell you|let you know|mention)",
    "(?:ive|i have|i) (?:saved|kept|screenshotted|recorded) (?:it|them|the \\w+|a copy)",
    "(?:thought|think) you should know", "(?:just )?(?:so|letting) you know", "for your records",
    "(?:mochte|will|wollte|muss) (?:\\w+ ){0,3}(?:melden|festhalten|dokumentieren|aufschreiben|sagen|erzahlen|"
    "mitteilen)",
    "(?:soll|sollte|muss) (?:\\w+ ){0,2}(?:in die|in meine|in der) akte", "(?:in die|fur die|in meine|fur meine) "
    "(?:akte|anwaltin|anwalt|unterlagen)", "zur (?:info|kenntnis|dokumentation)", "(?:hab|habe) (?:es|sie|ihn|das) "
    "(?:gespeichert|aufgehoben|aufgenommen|fotografiert)", "(?:sollten|solltet|sollst) (?:sie|ihr|du) wissen",
)
# Round 6: emoji of distress, said with no words (two or more, none of joy): fire, a door, running, crying, a broken
# heart, an ambulance, a skull, a warning sign. Emoji of joy or laughter beside them make it a joke ("😂😭").
DISTRESS_EMOJI = re.compile(
    "[\U0001F62D\U0001F622\U0001F625\U0001F623\U0001F616\U0001F62B\U0001F629\U0001F97A\U0001F494\U0001F525"
    "\U0001F6AA\U0001F3C3\U0001F691\U0001F480\u2620\u26A0\U0001F63F\U0001F915\U0001F44A\U0001F198\U0001F6A8"
    "\U0001F52A\U0001FA78\U0001F631\U0001F628\U0001F630\U0001F61F]"
)
JOY_EMOJI = re.compile(
    "[\U0001F602\U0001F923\U0001F605\U0001F606\U0001F601\U0001F604\U0001F603\U0001F600\U0001F60A\U0001F642"
    "\U0001F44D\u2764\U0001F970\U0001F60D\U0001F389\U0001F60E\U0001F61C\U0001F92A\U0001F64C\U0001F44C\u270C"
    "\U0001F60C\U0001F973\U0001F618\U0001F917]"
)
# Round 9: emoji of death said with no words (a coffin, a headstone, a wilted flower, a knot): her own life, asked about
# (kind self_harm), never an alert by itself; a skull is left out ("💀" is laughter in texting).
SELF_HARM_EMOJI = re.compile("[\u26B0\U0001FAA6\U0001F940\U0001FAA2]")
# Faces of fear (😱 😨 😰 😟) say how she feels, not what is happening: with the model alone they ask, never alert.
FEAR_FACES = re.compile("[\U0001F631\U0001F628\U0001F630\U0001F61F]")
# Round 9: a message whose only words anchor it now ("now", "again", "jetzt"): emoji beside them speak alone.
ANCHOR_WORDS_ONLY = _words("^(?:(?:now|rn|again|still|help|right now|jetzt|grad|gerade|schon wieder|wieder|hilfe) ?)+$")
TERROR_FACES = re.compile("[\U0001F631\U0001F628]")
WORRY_FACES = re.compile("[\U0001F630\U0001F61F]")
# Denials that are not: "he's not supposed to be here", "er darf nicht hier sein".
NOT_A_DENIAL = _words("not supposed", "not allowed", "darf nicht", "soll nicht", "nicht sein")

# Round 10: a recall path for self-harm by class, not by wording: she does not trust herself or cannot keep herself
# safe, means gathered or chosen (tablets saved up, a rope, which bridge, the sea, the platform's edge), her own
# body hurt "till it bled" or "to feel real", disappearing for good, not being here by the morning. Asked about
# (kind self_harm), never an alert by itself; a laugh or "I'm fine" beside it lowers nothing (sarcasm), only her
# own denial ("I'd never hurt myself") does; "cut my hair", "a walk to the bridge" name no harm.
_BODY = ("(?:arms?|wrists?|legs?|thighs?|skin|stomach|belly|chest|hips?|arme?n?|handgelenke?|beine?n?|"
         "oberschenkeln?|haut)")
SELF_HARM_BROAD = _words(
    "(?:dont|do not|cant|can not|cannot|no longer|not sure i can|dont think i can|dont know if i can) "
    "(?:\\w+ ){0,2}(?:trust|keep) my ?self(?: safe)?",
    "(?:not|never|isnt|arent) (?:\\w+ ){0,2}safe from my ?self",
    "safe from (?:him|he) (?:\\w+ ){0,6}not (?:from )?my ?self",
    "(?:protect\\w*|save|saving|safe) (?:\\w+ ){0,2}from (?:my ?self|me)(?! and)", "the one (?:\\w+ ){0,4}from is me",
    "(?:scared|afraid|frightened|terrified) of (?:my ?self|what i (?:might|will|could|ll|d) do)",
    "what (?:i (?:might|will|could|ll|d)|ill|id) do (?:to|with) (?:my ?self|me)(?![a-z])",
    "(?:looking|staring|gazing|peering) (?:down )?(?:at|into|over) the (?:water|river|sea|drop|tracks|edge|traffic|"
    "rails)", "asking for (?:my ?self|me)$", "(?:tallest|highest) (?:\\w+ )?(?:building|bridge|car park|cliff|tower|"
    "point)(?=.*(?:for me|my ?self))",
    "how (?:many|much) (?:\\w+ ){0,3}(?:tablets|pills|paracetamol|insulin|painkillers) (?:\\w+ ){0,5}(?:take|kill|"
    "enough|fatal|lethal|die)", "(?:ive|i have|i ve|everything|its all|it s all) (?:\\w+ ){0,2}(?:sorted|arranged|"
    "in order|organised)(?=.*(?:im done|i m done|im ready|i m ready|goodbye|for good))",
    "(?:saving|saved|stockpil\\w*|hoard\\w*|collect\\w*|stash\\w*|squirrel\\w*|hidden|hiding|counting) (?:up )?"
    "(?:\\w+ ){0,3}(?:tablets|pills|meds|medication|painkillers|paracetamol|sleeping pills)",
    "(?:the |a |my )?rope(?:s)? (?:is |s )?(?:in|under|ready|up|tied)",
    "(?:bought|got|have|found) (?:a |some |the )?rope",
    "(?:walk|walking|swim|swimming|wade|wading|go|going) (?:\\w+ ){0,2}into the (?:sea|river|lake|water|canal|waves)",
    "(?:step|stepping|jump|jumping|throw(?:ing)? my ?self|fall|falling|lean|leaning) (?:\\w+ ){0,3}"
    "(?:off|from|in front of|under|over) (?:the|a) (?:\\w+ ){0,2}(?:bridge|roof|train|platform|cliff|car park|building|"
    "balcony|lorry|bus|ledge|edge)",
    "which (?:bridge|train|tree|rope|cliff|building|roof)",
    "(?:cliff|bridge|roof|ledge)\\w* (?:\\w+ ){0,6}(?:which|what) spot",
    "(?:at|on|over|near) the edge of (?:the |a )?(?:\\w+ )?"
    "(?:platform|roof|cliff|bridge|car park)", "(?:picking|picked|pick|choosing|chose|found|scouting) (?:out )?"
    "(?:a |the |which |my )?(?:bridge|cliff|spot to|tree to)",
    "(?:cut|cutting|scratch\\w*|burn\\w*|carv\\w*|gouge\\w*|pick\\w*|hurt\\w*) (?:\\w+ ){0,3}(?:my|my own) "
    "(?:\\w+ )?" + _BODY, "(?<!he )(?<!hes )(?:hit|hitting|bang\\w*|slam\\w*|smash\\w*|punch\\w*) my (?:own )?"
    "(?:head|fists?) (?:\\w+ ){0,2}against the (?:wall|door|floor|mirror)",
    "(?:till|until) (?:it|they|i|my \\w+) (?:bled|bleed|bleeds|was bleeding|went quiet|went numb|stopped)",
    "to feel (?:real|something|anything|alive|in control)", "(?:deeper|worse) than (?:usual|before|last time|ever)",
    "cut deeper", "(?:want|wanna|need|going|gonna) (?:to )?(?:just )?(?:disappear|vanish)(?! for (?:a|the|an))",
    "disappear (?:for good|forever|for ever|and (?:not|never) come back)",
    "(?:still )?(?:be|being) (?:here|around|alive) (?:in the morning|tomorrow|by morning|by tomorrow)",
    "(?:i|ill|i ll) (?:wont|will not|might not|may not) (?:still )?be (?:here|around|alive) "
    "(?:\\w+ )?(?:tomorrow|in the morning|"
    "much longer|for long|by morning)",
    # a goodbye with thanks said in the past tense, as if she were gone ("you were always kind to me, bye")
    "(?:you were|you lot were|yous were|ihr wart|sie waren|du warst) (?:\\w+ ){0,2}(?:kind|good|nice|lovely|lieb|"
    "nett|gut|"
    "freundlich)(?= .*(?:bye|goodbye|farewell|take care)|.* (?:mach\\w*|macht s) gut|.*tschuss|.*lebt wohl)",
    "(?:bye|goodbye|farewell|take care|machts gut|macht s gut|mach s gut|machs gut|lebt wohl|tschuss) (?:\\w+ ){0,4}"
    "(?:you were|you lot were|ihr wart|sie waren|du warst) (?:\\w+ ){0,2}(?:kind|good|nice|lovely|lieb|nett|gut|"
    "freundlich)",
    # German
    "(?:trau|traue|trauen) (?:\\w+ ){0,4}(?:mir|mich) (?:\\w+ ){0,3}(?:selber|selbst) (?:\\w+ ){0,2}nicht",
    "(?:mir|mich) (?:selber|selbst) (?:\\w+ ){0,3}nicht (?:mehr )?(?:trauen|uber den weg)",
    "(?:vor|von) mir (?:selbst|selber) (?:\\w+ ){0,2}(?:schutzen|sicher|angst|retten|bewahren)",
    "(?:sicher|geschutzt) (?:\\w+ ){0,3}vor mir (?:selbst|selber)", "aber (?:nicht )?vor mir (?:selbst|selber)",
    "(?:schutzt|beschutzt|rettet|bewahrt) mich (?:\\w+ ){0,2}vor mir",
    "(?:angst|furcht) (?:\\w+ ){0,3}(?:vor dem |davor )?was ich (?:mit mir|mir) (?:\\w+ )?(?:mache|tue|tu|antue|"
    "anstelle|anstellen konnte)",
    "(?:schau|starr|guck|blick)\\w* (?:\\w+ ){0,2}(?:aufs|ins|in das|auf das|auf die|in die) (?:wasser|meer|tiefe|"
    "gleise|schienen)", "wie viele (?:\\w+ ){0,2}(?:tabletten|pillen) (?:\\w+ ){0,4}(?:braucht|reichen|todlich|"
    "sterben)",
    "(?:trau|traue) mich (?:\\w+ ){0,3}nicht in die nahe (?:vom|von|der|des|meiner|meines) \\w*(?:medikament|tablette|"
    "messer|brucke|balkon|gleis)\\w*", "(?:hab|habe) (?:\\w+ ){0,2}alles (?:\\w+ )?(?:geregelt|erledigt|geordnet)"
    "(?=.*(?:ich bin fertig|bin bereit|abschied|fur immer|lebt wohl))",
    "nicht (?:\\w+ ){0,2}auf mich (?:selbst |selber )?(?:aufpassen|acht geben)",
    "(?:nicht sicher|weiss nicht|keine ahnung) ob ich (?:\\w+ ){0,4}auf mich "
    "(?:selbst |selber )?(?:aufpassen|acht geben)",
    "was ich mir (?:\\w+ )?(?:antue|antu|an tue|antun konnte)",
    "(?:sammle|sammel|sammeln|gesammelt|horte|gehortet|bunker\\w*|gebunkert|spare|gespart|aufgehoben|zahle|gezahlt|"
    "versteckt|verstecke) (?:\\w+ ){0,4}(?:tabletten|pillen|medikamente|schlaftabletten|schmerztabletten)",
    "(?:der |den |ein(?:en)? |mein(?:en)? )strick", "(?:ein |das )?seil (?:liegt|ist|hangt|gekauft)",
    "(?:geh|gehe|lauf|laufe|spring|springe|steig|schwimm) (?:\\w+ ){0,3}(?:in den (?:see|fluss|rhein|main|kanal)|"
    "ins (?:wasser|meer)|von der brucke|vom dach|vor den zug|vor die (?:bahn|ubahn|s bahn)|vom balkon)",
    "welche brucke", "(?:ganz )?vorne? (?:an der|am) (?:bahnsteig|gleis|kante|brucke|dachkante)", "bahnsteigkante",
    "(?:den|meinen) kopf (?:\\w+ ){0,2}gegen die (?:wand|tur|mauer)",
    "mich (?:selbst |selber )?gegen die (?:wand|mauer)",
    "bis (?:es|sie|ich|die haut) (?:\\w+ )?(?:blut\\w*|still war|still ist|taub|nichts mehr)",
    "(?:damit|um) (?:ich )?(?:mich )?(?:was |etwas |irgendwas )?(?:zu )?(?:spure|spuren|fuhle|fuhlen) (?:\\w+ )?"
    "(?:echt|lebendig|real|was|etwas)?",
    "tiefer (?:geschnitten|als sonst|als letztes mal|als je)", "(?:einfach|fur immer|ganz) verschwinden",
    "verschwinden und nicht (?:mehr |wieder )?(?:zuruck|wieder)",
    "(?:morgen|morgen fruh|nachste woche) noch (?:da|hier) bin",
    "(?:gekratzt|kratze|kratz|geritzt|ritze|geschnitten|schneide|verbrannt|verbrenne) (?:\\w+ ){0,3}" + _BODY,
)
# Round 10: what an ending or "nicht mehr" is about when it is not her life, for the model's guess and the weak cues of
# rule 1b: our texts ("schriibed mir nüme", "don't text me any more"), a holiday ("ich hau ab in den Urlaub"), a date
# or a course dreaded ("sein Kurs ist bald zu Ende und ich hab Panik"), dying of hunger or laughter.
NOT_HER_LIFE = _words(
    "(?:schreibt|schreib|schreiben|schreibed|schriibed|schickt|schicken) (?:\\w+ )?mir (?:\\w+ ){0,2}(?:nicht mehr|"
    "nimmer|"
    "nume|keine)", "nicht mehr (?:\\w+ )?(?:angeschrieben|kontaktiert|angerufen) werden",
    "(?:dont|do not|stop|no more) (?:\\w+ )?(?:text|message|contact|call)(?:ing)? me",
    "(?:these|your|the|ur) (?:texts|messages|check ins) (?:\\w+ ){0,3}(?:no more|any ?more)",
    "(?:gp|doctor|doc|arzt|arztin|hausarzt\\w*) (?:\\w+ ){0,3}(?:put me on|prescribed|gave me|verschrieben|gegeben|"
    "aufgeschrieben)", "urlaub", "ferien", "holidays?", "vacation",
    "(?:sterb\\w*|die|dying) (?:\\w+ )?(?:vor|of|from) (?:hunger|lachen|laughter|langeweile|boredom|neugier|curiosity|"
    "durst|thirst|embarrassment|scham)",
    "(?:kurs|programm|course|programme|gericht\\w*|court|hearing|anhorung|verhandlung|release|entlassung\\w*|"
    "geburtstag|birthday|christmas|weihnachten|ostern|easter|handover|ubergabe|termin) (?:\\w+ ){0,6}(?:zu ende|vorbei|"
    "over|ends|finishes|coming|kommt|naher|bald|soon|next week|nachste woche)",
)
# Round 10: medicine taken all at once ("💊💊 alles genommen", "swallowed the lot"), with a pill emoji or a word for
# pills, never medicine taken as prescribed ("took all my tablets this morning like the doctor said").
PILLS_ALL = _words(
    "(?:alles|alle|die ganze \\w+|the lot|all of them|them all|everything|the whole \\w+) (?:\\w+ ){0,2}(?:genommen|"
    "geschluckt|taken|swallowed|took|eingeworfen)", "(?:took|taken|swallowed|geschluckt|genommen|eingeworfen) "
    "(?:\\w+ ){0,2}(?:the lot|all of them|them all|everything|the whole \\w+|alle|alles|die ganze \\w+)",
)
PILL_WORD = _words("tablets?", "pills?", "meds", "tabletten", "pillen", "medikamente", "paracetamol", "ibu\\w*")
AS_PRESCRIBED = _words("prescribed", "verschrieben", "wie der arzt", "like the doctor", "as usual", "wie immer",
                       "this morning", "heute fruh", "with breakfast", "zum fruhstuck")
PILL_EMOJI = "\U0001F48A"
# Her own denial of self-harm only ("I'd never hurt myself"); "now he's gone" denies nothing of her own life.
OWN_DENIAL = _words(
    "not suicidal", "(?:never|not|wouldnt|would never|wont|dont|do not) (?:\\w+ )?(?:kill|hurt|harm) my ?self",
    "(?:dont|do not|never) want to die", "nicht suizidal",
    "(?:nie|niemals|nicht) (?:\\w+ ){0,2}(?:umbringen|mir (?:was|etwas) antun|mir das leben nehmen)",
)
# ... and what the broad path never asks about: her hair, a recipe, a walk to a bridge, a figure of speech.
NOT_SELF_HARM = _words("hair", "haare", "fringe", "pony", "nails", "nagel", "recipe", "rezept", "onions?", "zwiebeln",
                       "the (?:sea|river|lake) (?:was|is) (?:lovely|beautiful|cold|nice)", "walk(?:ed)? the dog",
                       "spazieren", "mit dem hund", "with the dog", "swimming lesson", "schwimmkurs",
                       "lovely", "beautiful", "schon(?:e|en)?", "urlaub", "holiday", "ducks", "enten", "picnic",
                       "with the kids", "mit den kindern", "views?", "aussicht")
# Round 10: danger by class, asked about at least (never an alert by itself): someone at her windows or doors at
# night ("tapping the windows at 3am, it's him", "jemand klopft ans Fenster, das ist er"), a child taken or handed
# over against an order or no-contact, a hiding place in one or two words ("attic. quiet.", "Keller. Kinder dabei."),
# and his arrival said as a riddle ("guess whose car just pulled in", "rat mal wer vor der Tür steht").
NIGHT_AT_DOORS = _words(
    "(?:tapping|tap|taps|knocking|knocks|knock|banging|bangs|rattling|rattles|scratching|scratches|trying|tries|"
    "hammering|klopft|klopfen|geklopft|kratzt|ruttelt|rutteln|hammert|pocht|klingelt (?:\\w+ )?sturm|drueckt|druckt)"
    " (?:\\w+ ){0,5}(?:windows?|doors?|letterbox|handle|fenster\\w*|tur\\w*|briefschlitz|klinke|rollladen)"
    "(?=.*(?:its him|it s him|thats him|that s him|its my ex|das ist er|des is er|das ist er|er ist das|er is des|"
    "\\d ?am\\b|\\d+ in the morning|at night|in the night|middle of the night|early hours|nachts|mitten in der nacht|"
    "\\d+ uhr (?:morgens|fruh)|(?<![a-z])er (?:\\w+ )?das))",
    "(?:footsteps|someone|somebody|schritte|jemand) (?:\\w+ ){0,5}(?:round the (?:house|back|side)|around the house|"
    "ums haus|um das haus|um unser haus|on the gravel|im garten|in the garden|auf dem kies)"
    "(?=.*(?:its him|it s him|thats him|him i know|das ist er|er ist das|er ist es|\\d ?am\\b|nachts|at night))",
)
NIGHT_AT_DOORS_DE = _words(
    "(?:jemand|einer|wer|someone|somebody) (?:\\w+ ){0,4}(?:an der|an die|an den|an dem|am|ans|an) (?:\\w+ )?"
    "\\w*(?:fenster|tur|briefschlitz|klinke|rollladen)\\w* (?:\\w+ ){0,2}(?:kratzt|klopft|ruttelt|hammert|pocht|rum|"
    "fummelt|macht|druckt|dreht)(?=.*(?:er es ist|er ist es|das ist er|nachts|aufgewacht|uhr|dunkel))",
    "(?:woke|waking|wake|woken|aufgewacht|wach geworden) (?:\\w+ ){0,4}(?:someone|somebody|jemand|noises?|gerausch\\w*|"
    "knocking|tapping|scratching|klopf\\w*|kratz\\w*)(?=.*(?:its him|it s him|know its him|dass er es ist|er ist es|"
    "das ist er|its my ex))",
)
NOT_AT_DOORS = _words("parcel", "paket\\w*",  # round 11: a parcel "not supposed to come till Friday"
                      "postman", "postie", "paketbote", "postbote", "delivery", "courier", "wind", "cat", "katze",
                      "fox", "fuchs", "branch", "ast", "neighbours? kids?", "nachbarskind\\w*", "was only", "war nur")
CHILD_TAKEN = _words(
    "(?:nursery|school|kita|kindergarten|hort|childminder|after school club|tagesmutter|creche|kiga|schule|club)"
    " (?:\\w+ ){0,6}(?:let him|gave|handed|released|mitgegeben|gegeben|ubergeben|rausgegeben|abholen (?:lassen|lies)|"
    "(?:\\w+ ){0,4}(?:gehen|mitgehen|mitnehmen) lassen)",
    "(?:took|taken|grabbed|snatched|collected|picked up|driven off with|genommen|geholt|mitgenommen|abgeholt|"
    "geschnappt|entfuhrt)(?: \\w+){0,6} (?:the baby|our|my|the kids|den kleinen|die kleine|das baby|unser\\w*|"
    "mein\\w*|die kinder|ihn|sie)",
    "(?:\\w+ ){0,3}(?:out (?:of )?the (?:pram|buggy|car seat)|aus dem (?:buggy|kinderwagen|autositz))",
)
AGAINST_ORDER = _words(
    "not supposed", "not allowed", "no contact", "injunction", "(?:court |protection |non molestation )?order",
    "kontaktverbot", "darf (?:\\w+ ){0,2}nicht", "beschluss", "umgangsverbot", "nicht erlaubt", "keinen kontakt",
    "(?:dont|do not) know where (?:they|she|he) (?:is|are)", "weiss nicht wo (?:sie|er) (?:ist|sind)",
    "(?:court|judge|order) (?:\\w+ ){0,3}(?:said no|says no|forbids|forbade|banned)", "no access", "not meant to",
    "(?:gericht|richter\\w*) (?:\\w+ ){0,3}(?:nein|verboten|"
    "untersagt)", "kein(?:en)? umgang\\w*", "nicht (?:\\w+ )?durfen",
    "(?:dont|do not) know where (?:theyve|they have|they ve|hes|he s|he has) (?:gone|taken)",
)
HIDING_BARE = _words(
    "^(?:(?:in|im|at|under|unterm|unter|behind|hinterm|hinter|up in|down in|the|der|die|das|dem|den|on) )*"
    "(?:attic|loft|garage|cellar|basement|shed|bathroom|loo|toilet|wardrobe|cupboard|closet|stairs|boot|bedroom|"
    "dachboden|speicher|keller|bad|klo|schrank|abstellkammer|gartenhaus|estrich|kofferraum|bett|treppe)"
    "(?: (?:quiet|shh+|silent|hiding|hidden|kids with me|with the kids|w the kids|w kids|with kids|with the baby|"
    "leise|still|pst+|ps+t|versteckt|kinder dabei|mit den kindern|mit kindern|mit der kleinen|mit dem kleinen|"
    "no noise|dont call|dont ring|nicht anrufen|ruf nicht an|nicht schreiben|dont text|now|jetzt|help|hilfe|"
    "(?:\\w+ )?dabei|with (?:me|the \\w+|\\w+)|locked(?: in)?|abgeschlossen|zugesperrt|zugeschlossen|door locked|"
    "tur zu|hes here|er ist da|come|kommt)){1,4}$",
)
RIDDLE_ARRIVAL = _words(
    "(?:guess who(?:s|se|s just| just)?|rat(?:e)? mal wer|rat(?:e)? mal wessen|surprise surprise|who else but|"
    "look whos|look who s|raten sie mal wer) (?:\\w+ ){0,6}(?:here|outside|door|window|drive|pulled|parked|turned up|"
    "back|standing|knocking|banging|car|van|steht|vor|fenster|tur|einfahrt|fahrt|kommt|klingelt|parkt|klopft|da|"
    "garten|garden|hallway|flur|climb\\w*|kletter\\w*|hochklettert|breaking|drunk|besoffen|kicking|shouting|screaming|"
    "brullt|schreit|trying|versucht|drainpipe|regenrinne|balcony|balkon|fence|zaun|ladder|leiter)",
)
NOT_HIM = _words("mum", "mam", "mom", "mummy", "nan", "nana", "gran", "granny", "sister", "brother", "friend", "mate",
                 "bestie", "holiday", "postman", "postie", "cat", "dog", "neighbou?r\\w*", "mutter", "mama", "oma",
                 "opa", "schwester", "bruder", "freundin", "urlaub", "nachbar\\w*", "katze", "hund", "lol", "haha")
# Round 10: an alert is lowered to the question (never further, so no catch is lost) when the message says he was
# there and is gone now ("he was outside mine tues nite, gone now", "er war vorhin da ..., jetzt ist Ruhe", "police
# have been and gone"), or frames his presence as a fear or a thought ("what if he's outside when I finish", "I keep
# thinking he might turn up", "jedes Mal wenn draußen ein Motor brummt"), and nothing says it is happening this moment.
GONE_NOW = _words(
    "(?:hes|he s|he is|er ist|ist er|is er|er is|its|it s|es ist|ist es|is|ist) (?:(?!dem |den |the )\\w+ ){0,2}"
    "(?:gone|weg|away|nicht mehr da)(?! (?:to|for|and|um|zu|und|holen))(?: now| jetzt)?", "gone now", "(?:jetzt|"
    "now|and now) (?:ist |is |its |it s )?(?:a |wieder |all )?"
    "(?:ruhe|ruah|ruhig|quiet|calm)", "(?:polizei|police|cops|polis) (?:\\w+ ){0,3}(?:mitgenommen|mitgnoh|took him|"
    "taken him|arrested|lifted|have been and gone|been and gone|war (?:schon )?da|came|kam)",
    "(?:ist|is) (?:aber )?(?:jetzt )?(?:nicht mehr da|weg)",
)
PAST_PRESENCE = _words(
    "(?:he|er|his car|sein auto) (?:\\w+ )?(?:was|woz|wis|war|stand|came|come round|kicked|hat|had)",
    "(?:war|was|woz|stand) (?:er|he|sein auto)", "gstandn", "gestanden", "gsi", "vorhin", "earlier", "gestern",
    "yesterday", "last night", "nite", "am (?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)",
)
FEAR_FRAME = _words(
    "what if", "i keep thinking", "keep thinking", "i think (?:its|it s|hes|he s|he is)", "every time", "everytime",
    "jedes mal", "jedesmal", "angst dass", "angst das", "might turn up", "might be", "could be", "irgendwann",
    "(?:nowhere near|not here|nicht da|nicht vor der tur) (?:\\w+ ){0,3}(?:but|aber)", "ich seh uberall",
    "i see (?:\\w+ )?everywhere",
)
FEAR_WORD = _words("scared", "afraid", "frightened", "terrified", "fear\\w*", "angst\\w*", "furcht\\w*", "panik",
                   "help", "hilfe", "please", "bitte", "come back", "zuruckkommt", "wiederkommt")
RETURNING = _words("coming back", "comes back", "on (?:his|the) way", "auf dem weg",
                   "kommt (?:\\w+ )?(?:wieder|zuruck)",
                   "(?:\\d+|five|ten|a few) (?:min|mins|minutes?) ago", "vor (?:\\d+|funf|zehn|ein paar) minuten")
# Round 10: a contact time set by when he is home ("bitte nicht nach 18 Uhr, da ist er zuhause", "not after 6, that's
# when he's back"): it places him at a later hour, not at her door now (read like a figure of speech).
TIMED_TO_HIM = _words(
    "(?:nach|ab|vor|um|zwischen|after|before|from|between) \\d+(?: uhr| pm| am)?(?: \\w+){0,5} (?:da|dann|then|thats "
    "when|that s when|cos|because|weil) (?:ist er|is er|er ist|hes|he s|he is|he gets) (?:\\w+ )?(?:zuhause|daheim|"
    "zu hause|home|da|here|hier|back|in)",
)
KILL_WORD = _words("kill\\w*", "murder\\w*", "killt", "bringt mich (?:\\w+ ){0,3}um", "bringen mich (?:\\w+ ){0,3}um")
# Round 10: a long message is decided clause by clause as well (the most urgent clause wins), so ordinary news
# before the danger cannot dilute it; only in a message this long, not placed in the past only as a whole.
LONG_WORDS = 15
FUTURE_FEAR = _words("if he", "what if", "worried (?:\\w+ ){0,3}(?:he|hell)", "scared (?:\\w+ ){0,2}(?:he|hell)",
                   "wenn er", "falls er", "angst (?:\\w+ ){0,2}dass er", "irgendwann", "might", "could")
CLAUSE_SPLIT = re.compile(r"[.!?;\n]+|,\s*|\s+(?:and then|anyway|anyways|jedenfalls|egal|btw|oh and|und dann|aber)\s+")


# Round 11, recall by class (asked about, never an alert by itself; only where every rule before said nothing):
# danger named with a doubt or a guess ("I think that's his car", "könnte er sein") beside him not being meant to be
# there (an order, a ban, "not supposed to know where I live") and a place near her: the doubt is her fear of being
# wrong, not a lesser danger.
DOUBT_HIM = _words(
    "(?:i think|i thought|think|i reckon|reckon|pretty sure|fairly sure|almost sure|not sure but|could be|might be|"
    "maybe|probably|looks like|sounds like|i guess|ich glaub\\w*|glaub\\w*|konnte|konnt|konnt|vielleicht|"
    "wahrscheinlich|sieht aus wie|klingt wie|nicht sicher aber|ich denke|denk) (?:\\w+ ){0,3}"
    "(?:(?:its|it s|thats|that s|das ist|des is|ist das) (?:\\w+ )?(?:him|he|my ex|er|sein\\w*)|hes|he s|him|his|"
    "my ex|er|ihn|sein|seine|seinen|ist er)(?![a-z])",
)
NOT_MEANT = _words(
    "not supposed", "not allowed", "shouldnt", "should not", "shouldn t", "banned", "warned", "order", "injunction",
    "not meant", "stay away", "no contact", "\\d+ ?m away", "(?:\\d+|hundred) (?:metres|meters|yards)", "bail",
    "darf (?:\\w+ ){0,3}nicht", "soll (?:\\w+ ){0,3}nicht", "(?:kontakt|annaherungs|aufenthalts|haus)verbot",
    "verbot", "nicht wissen wo", "auflage\\w*",
)
NEAR_HER = _words(
    "door", "outside", "stairs", "window", "glass", "street", "road", "drive", "car", "van", "hall(?:way)?", "fence",
    "garden", "gate", "landing", "car park", "shadow", "downstairs", "end of the", "tur", "treppenhaus", "strasse",
    "auto", "hecke", "parkplatz", "draussen", "unten", "fenster", "garten", "zaun", "flur", "einfahrt", "haus\\w*",
    "vor (?:dem|der|meinem|meiner)", "here", "hier", "live", "wohne",
)
# ... a threat made conditional on her ("if I don't open he'll burn the flat", "wenn ich nicht aufmache zündet er ...",
# "open up or he'll ..."): a threat said now, whatever the condition.
IF_SHE_DOESNT = _words(
    "(?:if|unless|until) i (?:\\w+ ){0,3}(?:dont|do not|wont|will not|cant|don t|won t|come|open|let|answer|pick|"
    "go|give)", "or (?:else )?(?:he ll|hell|he will|hes gonna|he s gonna|hes going to|he s going to)",
    "(?:wenn|falls|solange) ich (?:\\w+ ){0,4}(?:nicht|kein\\w*)", "sonst (?:\\w+ )?(?:er|will er|wird er)",
    "(?:wenn|falls) ich (?:\\w+ ){0,3}(?:nicht )?(?:aufmach\\w*|rangeh\\w*|runterkomm\\w*|rauskomm\\w*|offne)",
)
THREAT_ACT = _words(
    "burn\\w*", "torch\\w*", "set (?:\\w+ ){0,3}(?:alight|on fire|fire)", "petrol", "kill\\w*", "smash\\w*",
    "break (?:\\w+ )?(?:in|down)", "(?:brick|stone) through", "kick (?:\\w+ )?(?:in|down)", "stab\\w*", "hurt\\w*",
    "shoot", "strangle", "do (?:me|her|the kids) in", "zundet", "anzunden", "anzuzunden", "abfackel\\w*", "fackelt",
    "feuer", "brennt", "verbrennt", "bringt (?:\\w+ ){0,2}um", "umbringen", "umzubringen", "schlagt", "einschlagen",
    "ein ?schlagen", "eintreten", "tritt (?:\\w+ ){0,2}ein", "absticht", "abstechen", "toten", "tot", "kaputt\\w*",
    "zerlegt", "demoliert", "ersticht",
)
WAS_ALWAYS = _words("always said", "used to say", "would always", "back then", "when we were", "hat immer gesagt",
                    "fruher", "damals", "als wir")
# ... self-harm: not safe with or around herself ("not safe being alone with me", "nicht sicher mit mir allein"), an
# earlier attempt and the feeling back ("tried last spring and it's creeping in again"), ending it herself after a
# loss ("dann mach ich selber Schluss"), and passive wishes for an accident, an illness or not waking up.
NOT_SAFE_SELF = _words(
    "(?:dont|do not|not|never|isnt|no longer|don t) (?:\\w+ ){0,3}safe (?:\\w+ ){0,4}(?:with|around|alone with|by) "
    "(?:my ?self|me)(?! and)", "unsafe (?:\\w+ ){0,4}(?:with|around|alone with|by) (?:my ?self|me)(?! and)",
    "nicht (?:\\w+ ){0,2}sicher (?:\\w+ ){0,2}(?:mit|bei|vor) mir(?! und)",
    "nicht sicher (?:\\w+ ){0,2}(?:allein|alleine) mit mir",
)
ATTEMPT_BEFORE = _words(
    "(?:i|ive|i ve|id|already|once) (?:\\w+ )?tried (?:it |to end it |that )?(?:before|last|once|in|a|two|three|"
    "years?|months?|back|when|at)", "tried (?:to )?(?:end it|kill|overdose|take my)", "attempt\\w*", "overdos\\w*",
    "a ?and ?e", "a e(?= )", "psych ward", "sectioned", "schon (?:mal|einmal) (?:\\w+ ){0,2}versucht",
    "(?:hab|habe|hatte) (?:\\w+ ){0,3}(?:es |s )?versucht", "versuch(?! \\w+ ich)", "uberdosis",
    "(?:im|ins) (?:krankenhaus|klinik|psychiatrie)", "notaufnahme",
)
FEELING_AGAIN = _words(
    "(?:feel|feeling|felt|getting|thoughts?|thinking|fuhl\\w*|gefuhl|gedanken|ist es|es ist|gehts?|so an|kommt)"
    "(?: \\w+){0,4} (?:again|wieder)", "same (?:feeling|thoughts|place|way)", "that way again", "like that again",
    "wieder (?:\\w+ ){0,2}(?:so|genauso|da|so weit)(?! \\w+ (?:schon|gut))", "(?:creeping|coming|sneaking) (?:in|back)",
    "wie (?:damals|letztes mal)",
)
OWN_END = _words(
    "(?:end|finish|do) (?:it|things|this|everything|the job) (?:\\w+ ){0,2}(?:my ?self|on my own)",
    "(?:selbst|selber) (?:\\w+ ){0,2}(?:zu ende bringen|beenden|schluss machen)",
    "(?:mach|mache|machen) (?:ich )?(?:\\w+ ){0,2}(?:selbst|selber) schluss",
    "(?:beende|beend|beenden) (?:ich )?(?:es|das|alles|mich) (?:\\w+ ){0,2}(?:selbst|selber)",
    "(?:schluss|ein ende) (?:\\w+ ){0,2}(?:selbst|selber)",
)
PASSIVE_WISH = _words(
    "wish\\w*", "hope\\w*", "hoping", "pray\\w*", "wouldnt mind", "would not mind", "wouldn t mind", "fine with",
    "ok with", "okay with", "dont care if", "don t care if", "wunsch\\w*", "hoff\\w*", "ware nicht schlimm",
    "war nicht schlimm", "nicht schlimm wenn", "ware mir egal", "war mir egal", "egal wenn", "hatte nichts dagegen",
)
DEATH_BY_CHANCE = _words(
    "(?:accident|crash|unfall) (?:\\w+ ){0,4}(?:die|dead|over|end|erledig\\w*|sterb\\w*|tot|vorbei|take me|took me)",
    "(?:car|lorry|truck|bus|train|auto|laster|lkw|zug) (?:\\w+ ){0,4}(?:hits? me|hit me|run\\w* me over|"
    "knock\\w* me|doesnt stop|does not stop|wont stop|didnt stop|erwischt|uberfahrt|mitnimmt)",
    "(?:erwischt|uberfahrt|uberfahren) (?:\\w+ ){0,2}(?:mich|me)", "mich (?:\\w+ ){0,6}(?:erwischt|uberfahrt)",
    "(?:crash|crashed|crashing) (?:\\w+ ){0,3}(?:on the|into|the car|motorway|autobahn)",
    "terminal", "cancer", "krebs", "unheilbar", "something fatal",
    "(?:krank|ill|sick) (?:werden |get |getting )?(?:\\w+ ){0,2}(?:and|und) (?:\\w+ ){0,2}(?:die|sterben|sterbe)",
    "(?:not|never|nicht mehr|nie mehr|nie wieder) (?:\\w+ )?(?:waking(?: up)?|wake up|aufwach\\w*|aufzuwachen)"
    "(?! (?:the|him|her|them|die|das|den|ihn))", "(?:wouldnt|wouldn t) (?:\\w+ )?(?:wake up|be here)",
)
# Round 11, fewer false alerts: an alert (his danger, never her own life) is lowered when he is held or away now
# (custody, remand, arrested, "he's at work", "auf Montage") and nothing happens this moment: a report, over (NONE)
# unless a fear is named (ASK); when she says she is not in danger now (ASK at most); when his release is what she
# fears (ASK at most): a date to come, not danger now.
HELD_OR_AWAY = _words(
    "(?:hes|he s|he is|he was|hes been|he s been|he got|got him|er ist|ist er|er sitzt|sitzt er|er wurde|wurde er|"
    "er is|is er|they|sie haben ihn|haben ihn) (?:\\w+ ){0,3}(?:remanded|on remand|locked up|banged up|behind bars|"
    "in (?:prison|jail|custody|a cell|the cells|police custody)|inside (?:now )?(?:for|till|until|since|on)|"
    "arrested|lifted|nicked|in (?:u ?haft|untersuchungshaft|gewahrsam|polizeigewahrsam)|im (?:knast|gefangnis)|"
    "festgenommen|verhaftet|eingesperrt|in haft)",
    "(?:in|im) (?:u ?haft|untersuchungshaft|gewahrsam|polizeigewahrsam|knast|gefangnis|jail|prison|custody)",
    "(?:remanded|on remand|locked up till|locked up until)",
    "(?:hes|he s|he is|er ist|ist er|er is|is er) (?:(?!here|hier|bei|at my|in my)\\w+ ){0,2}(?:at work|"
    "at his (?:work|job)|on (?:a |his |the )?(?:shift|nights|night shift|late shift)|at the (?:depot|site)|"
    "away (?:on|for) (?:work|a job)|auf (?:der )?arbeit|auf montage|auf schicht|auf (?:der )?baustelle|"
    "in der (?:fruh|spat|nacht)schicht)",
)
# ... never when he is at her work or here ("er ist bei mir in der Arbeit", "he's here at work")
NOT_AWAY = _words("bei mir", "hier", "here", "at my (?:work|job|place|door)", "my work", "meiner arbeit", "at mine",
                  "aufgetaucht", "turned up", "showed up")
# ... where "no emergency" and the police who came or took him are part of the report, not a call for help now
POLICE_DONE = _words(
    "(?:kein|keine|not an?|no|nicht ein) (?:\\w+ )?(?:notfall|emergency)",
    "(?:die |the )?(?:polizei|police|cops) (?:\\w+ ){0,3}(?:war|waren|kam|kamen|hat|haben|came|were|was|have|has|took|"
    "arrested|gerufen|called|mitgenommen|festgenommen)", "(?:polizei|police) (?:\\w+ )?gerufen", "called the police",
)
OTHERS_FOR_HIM = _words("brother", "mate", "mates", "friend", "cousin", "family", "sent", "bruder", "kumpel\\w*",
                        "freunde", "cousin", "familie", "geschickt", "schickt")
FEAR_ONLY = _words("scared", "afraid", "frightened", "terrified", "fear\\w*", "angst\\w*", "panik", "nervous",
                   "worried", "help", "hilfe")
NOT_IN_DANGER_NOW = _words(
    "(?:not|no) (?:in )?(?:any )?(?:immediate |real )?danger (?:\\w+ )?(?:right now|at the moment|now|this second|atm|"
    "rn|currently|today|tonight)", "(?:not|no) (?:in )?(?:any )?(?:immediate|acute) danger",
    "(?:gerade|grad|jetzt|im moment|momentan|aktuell|akut) (?:\\w+ )?nicht in (?:\\w+ )?gefahr",
    "nicht in akuter gefahr", "keine akute gefahr", "(?:gerade|grad|jetzt|im moment) keine gefahr",
)
RELEASE_FEARED = _words(
    "(?:release|released|releasing|let (?:him )?out|lets him out|letting him out|gets out|getting out|comes out|"
    "coming out|out of (?:prison|jail)|parole|entlassen|entlassung|rauskommt|raus kommt|freigelassen|freikommt|"
    "kommt (?:\\w+ ){0,4}(?:raus|frei)|aus dem (?:knast|gefangnis|gefangnis))",
)
RELEASE_WHEN = _words(
    "next|in (?:\\w+ )?(?:weeks?|months?|days?)|soon|bald|date|datum|tomorrow|morgen|nachste|in (?:january|february|"
    "march|april|may|june|july|august|september|october|november|december)|(?:im|in) (?:januar|februar|marz|april|mai|"
    "juni|juli|august|september|oktober|november|dezember)|(?:in|im) (?:\\w+ )?(?:wochen|monaten|tagen|monat)|"
    "(?:january|february|march|april|may|june|july|august|september|october|november|december)$|coming up",
)

WORRYING = frozenset({DANGER_INTENT, SELF_HARM_INTENT, "feeling_unsafe", "report_incident"})
REPORTS = frozenset({REPORT_INTENT})


def _top_intent(parse: Mapping[str, Any] | None) -> str | None:
    intent = (parse or {}).get("intent") or {}
    return str(intent.get("name")) if isinstance(intent, Mapping) else None


def _sure_of(parse: Mapping[str, Any] | None, intents: frozenset[str], floor: float) -> bool:
    """The model's top intent is one of these, at least this sure."""
    intent = (parse or {}).get("intent") or {}
    return (isinstance(intent, Mapping) and intent.get("name") in intents
            and float(intent.get("confidence") or 0.0) >= floor)


def _best_guess(parse: Mapping[str, Any] | None) -> str | None:
    """The intent ranked first by the model, below any fallback."""
    for entry in (parse or {}).get("intent_ranking") or []:
        if isinstance(entry, Mapping) and entry.get("name") != FALLBACK_INTENT:
            return str(entry.get("name"))
    return None


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
    quiet: str = ""  # text without figures of speech and negated violence ("I could kill for a coffee")
    past: bool = False  # round 8: a past time, "over" or "long ago" named anywhere (beside "now" or not)
    emoji: bool = False  # a danger emoji (🆘 🚨 🔪 🩸 🚓 😱...): a sign, like a word
    words: int = 0

    @property
    def any(self) -> bool:
        return self.harm or self.present or self.urgency

# Round 10: dialect and text-speak words read as the standard word before the cues and a second try of the net
# (Northern English and Scots, Bavarian and Austrian, Swiss German, texting): the net and the cues were written in
# the standard language, and whole dialects were learnt one wording at a time. Word for word only; a German word
# that is also English ("is", "do", "i") is read so only when the message shows German elsewhere (``GERMAN``).
DIALECT_ANY = {
    "radge": "raging", "radgie": "raging", "bog": "toilet", "wi": "with", "wiv": "with", "bairns": "kids",
    "bairn": "kid", "weans": "kids", "wean": "kid", "hoose": "house", "oot": "out", "ootside": "outside",
    "doon": "down", "noo": "now", "heid": "head", "greetin": "crying", "polis": "police", "ere": "here",
    "plz": "please", "pls": "please", "hlp": "help", "tmrw": "tomorrow", "2day": "today", "dor": "door",
    "nite": "night", "windae": "window", "windaes": "windows", "dour": "door",
    "ois": "alles", "olles": "alles", "allss": "alles", "zam": "zusammen", "zamm": "zusammen", "zsamm": "zusammen",
    "zsam": "zusammen", "chunnt": "kommt", "kummt": "kommt", "kimmt": "kommt", "dusse": "draussen",
    "dussen": "draussen", "huus": "haus", "ufe": "hoch", "ufa": "hoch", "auffi": "hoch", "narrisch": "wahnsinnig",
    "woarn": "geworden", "angscht": "angst", "isch": "ist", "het": "hat", "hod": "hat", "hob": "habe", "hab": "habe",
    "gsi": "gewesen", "ruttlet": "ruttelt", "chlopft": "klopft", "stage": "treppe", "stiege": "treppe",
    "nimma": "nicht mehr", "nimmer": "nicht mehr", "ned": "nicht", "nid": "nicht", "nod": "nicht",
}
DIALECT_DE = {"is": "ist", "do": "da", "i": "ich", "d": "die", "dr": "der", "a": "an", "hed": "hat", "mi": "mich"}
GERMAN = _words("er", "ich", "und", "nicht", "der", "die", "das", "isch", "bin", "hob", "mich", "ist", "ned", "ois",
                "chunnt", "angscht", "scho", "jetzt", "grad", "nimma", "woarn", "olles")


def read_dialect(folded: str) -> str:
    """The folded text with dialect and text-speak words read as the standard word (round 10)."""
    words = folded.split()
    german = GERMAN.search(folded) is not None
    out = [DIALECT_DE.get(w, w) if german and w in DIALECT_DE else DIALECT_ANY.get(w, w) for w in words]
    return " ".join(out)


def cues(text: str) -> Cues:
    t = fold_for_danger(text)
    unsaid = IDIOM.sub(" ", TIMED_TO_HIM.sub(" ", t))  # round 10: a contact time timed to him places no one
    quiet = NEGATED_VIOLENCE.sub(" ", unsaid)  # violent words that name no violence
    negated = quiet != unsaid
    later = FUTURE.search(t) is not None
    violence = VIOLENCE.search(quiet) is not None
    harm = violence or (PRESENCE.search(quiet) is not None and HE.search(quiet) is not None)
    over = OVER.search(t) is not None
    distant = DISTANT.search(t) is not None
    # "I still think about it", "I just want it written down": her memory or wish is present, not the event
    anchors = HER_WISH_NOW.sub(" ", MEMORY.sub(" ", t))
    ongoing = NOW_WEAK.search(anchors) is not None and not (over or distant)  # "for hours", not "used to ... for hours"
    settled = OVER.sub(" ", DISTANT.sub(" ", anchors))
    # round 9: "he's" inside an over phrase ("he's no been back since") is no anchor of now either
    present = PRESENT.search(settled) is not None or (
        (NOW_AFTER_ALL.search(settled) is not None or ongoing) and not later)
    past = PAST_ONLY.search(t) is not None or over or distant
    denial = (DENIAL.search(t) is not None or CALM_FEAR.search(t) is not None or negated) and (
        NOT_A_DENIAL.search(t) is None)
    urgency = URGENCY.search(ASKING_ABOUT.sub(" ", OVER.sub(" ", t))) is not None  # "the police took him away": over
    emoji = DANGER_EMOJI.search(text) is not None
    return Cues(harm=harm, violence=violence, present=present, urgency=urgency, past_only=past and not present,
                denial=denial, over=over, distant=distant, text=t, emoji=emoji, words=len(t.split()), quiet=quiet,
                past=past)


def decide(text: str, parse: Mapping[str, Any] | None, net: DangerSignal | None) -> DangerDecision:
    """Apply the rule of the module docstring to one message; round 10's class rules and clauses only add catches.

    Why a wrapper: each of round 10's mechanisms (the net on the text read without dialect, the class rules, the
    clause-by-clause reading of a long message) answers only where the rules before it said nothing, so no earlier
    catch or alert can be lowered by them."""
    folded = fold_for_danger(text)
    read = read_dialect(folded)
    if net is None and read != folded:  # round 10: "er is do und haut ois zam" read as "er ist da und haut alles ..."
        net = detect_danger(read, _locale_of(read))
    first = _decide_one(text, parse, net)
    if first.action == "alert" and first.kind == "danger":
        t = fold_for_danger(text)
        settled = (NOW_STRONG.search(GONE_NOW.sub(" ", t)) is None and URGENCY.search(t) is None
                   and RETURNING.search(t) is None)
        gone = GONE_NOW.search(t) is not None and PAST_PRESENCE.search(t) is not None
        fear = FEAR_FRAME.search(t) is not None and not cues(text).violence  # a thought of him, no harm named
        if settled and gone and FEAR_WORD.search(t) is None:  # he was there, he is gone, nothing feared: a report
            return DangerDecision("none", first.score, f"alert_over:{first.reason}")
        if settled and (gone or fear):
            return DangerDecision("ask", first.score, f"alert_lowered:{first.reason}")
        said_now = (NOW_STRONG.search(GONE_NOW.sub(" ", t)) is not None or RETURNING.search(t) is not None
                    or URGENCY.search(POLICE_DONE.sub(" ", t)) is not None)
        held = (not said_now and HELD_OR_AWAY.search(t) is not None and OTHERS_FOR_HIM.search(t) is None
                and NOT_AWAY.search(t) is None)
        if held:  # round 11: he is in custody or at work now, nothing happening this moment: a report
            if FEAR_ONLY.search(t) is None:
                return DangerDecision("none", first.score, f"alert_held:{first.reason}")
            return DangerDecision("ask", first.score, f"alert_held_feared:{first.reason}")
        not_now = NOT_IN_DANGER_NOW.sub(" ", t)  # "not in danger right now": her "right now" names nothing happening
        if NOT_IN_DANGER_NOW.search(t) is not None and not (cues(not_now).harm or NOW_STRONG.search(not_now) is not None
                                                             or URGENCY.search(POLICE_DONE.sub(" ", not_now))
                                                             or RETURNING.search(not_now) is not None):
            return DangerDecision("none", first.score, f"alert_not_now:{first.reason}")  # round 11: said by her
        if NOT_IN_DANGER_NOW.search(t) is not None or (RELEASE_FEARED.search(t) is not None
                                                        and RELEASE_WHEN.search(t) is not None):
            return DangerDecision("ask", first.score, f"alert_as_fear:{first.reason}")  # round 11: her fear, not now
    if first.action == "ask" and first.kind == "danger":
        t = fold_for_danger(text)
        settled = (NOW_STRONG.search(GONE_NOW.sub(" ", t)) is None and URGENCY.search(POLICE_DONE.sub(" ", t)) is None
                   and RETURNING.search(t) is None and FEAR_ONLY.search(t) is None)
        if (settled and HELD_OR_AWAY.search(t) is not None and OTHERS_FOR_HIM.search(t) is None
                and NOT_AWAY.search(t) is None):
            return DangerDecision("none", first.score, f"ask_held:{first.reason}")  # round 11: as for the alert
    if first.caught:
        return first
    c = cues(read)  # the class rules and clauses read dialect too ("i trau ma ned"), the rules before did not
    by_class = _by_class(c) or _by_class11(c)
    if by_class is not None:
        return by_class
    if PILLS_ALL.search(c.text) is not None and (PILL_EMOJI in text or PILL_WORD.search(c.text) is not None) and (
            AS_PRESCRIBED.search(c.text) is None):
        return DangerDecision("ask", CUE_SCORE, "self_harm_pills_all", "self_harm")
    calm_past = c.past and _sure_of(parse, CALM_INTENTS, SURE_OTHER)  # a sure report naming a day: as rule 5's calm
    # the clauses are read only when the whole names him, harm, a call for help or her life somewhere (cost: the net's
    # typo tolerance runs again on every clause)
    hint = c.harm or c.urgency or HE.search(c.text) is not None or SELF_HARM_CUE.search(c.text) is not None
    if hint and c.words >= LONG_WORDS and not (c.past_only or c.over or c.distant or c.denial or calm_past):
        for clause in CLAUSE_SPLIT.split(text):
            if len(clause.split()) < 2:
                continue
            cc = cues(read_dialect(fold_for_danger(clause)))
            hit = detect_danger(cc.text, _locale_of(cc.text))
            one = _decide_one(clause, None, hit)
            if not one.caught:
                one = _by_class(cc) or _by_class11(cc) or one
            if one.caught:
                return DangerDecision(one.action, max(one.score, CUE_SCORE), f"clause:{one.reason}", one.kind)
    return first


def _locale_of(folded: str) -> str:
    """The lexicon to try first (every locale's is tried anyway)."""
    return "de" if GERMAN.search(folded) is not None else "en"


def _by_class(c: Cues) -> DangerDecision | None:
    """Round 10's class rules (asked about, never alerted): self-harm by means, body or not trusting herself, and
    danger at her windows at night, a child taken against an order, a bare hiding place, his arrival as a riddle."""
    t = c.text
    if (SELF_HARM_BROAD.search(c.quiet) is not None and OWN_DENIAL.search(t) is None
            and NOT_SELF_HARM.search(t) is None and not (c.distant and not c.present)):
        return DangerDecision("ask", CUE_SCORE, "self_harm_by_class", "self_harm")
    if c.past_only or c.over:
        return None
    if (NIGHT_AT_DOORS.search(t) is not None or NIGHT_AT_DOORS_DE.search(t) is not None) and NOT_AT_DOORS.search(
            t) is None:
        return DangerDecision("ask", CUE_SCORE, "night_at_doors")
    if CHILD_TAKEN.search(t) is not None and AGAINST_ORDER.search(t) is not None and FUTURE_FEAR.search(t) is None:
        return DangerDecision("ask", CUE_SCORE, "child_taken_against_order")
    if HIDING_BARE.search(t) is not None or (RIDDLE_ARRIVAL.search(t) is not None and NOT_HIM.search(t) is None):
        return DangerDecision("ask", CUE_SCORE, "hiding_or_riddle")
    return None


def _by_class11(c: Cues) -> DangerDecision | None:
    """Round 11's class rules (asked about, never alerted): not safe with herself, an earlier attempt and the feeling
    again, ending it herself, a passive wish to die by chance; danger named with a doubt where he is not meant to be,
    and a threat conditional on her."""
    t = c.text
    if OWN_DENIAL.search(t) is None and NOT_SELF_HARM.search(t) is None and (
            NOT_SAFE_SELF.search(c.quiet) is not None or OWN_END.search(c.quiet) is not None
            or (ATTEMPT_BEFORE.search(t) is not None and FEELING_AGAIN.search(t) is not None)
            or (PASSIVE_WISH.search(t) is not None and DEATH_BY_CHANCE.search(t) is not None)):
        return DangerDecision("ask", CUE_SCORE, "self_harm_by_class11", "self_harm")
    if c.past_only or c.over:
        return None
    if (DOUBT_HIM.search(t) is not None and NOT_MEANT.search(t) is not None and NEAR_HER.search(t) is not None
            and NOT_AT_DOORS.search(t) is None and NOT_HIM.search(t) is None):
        return DangerDecision("ask", CUE_SCORE, "doubt_not_meant_here")
    if (IF_SHE_DOESNT.search(t) is not None and THREAT_ACT.search(t) is not None and HE.search(t) is not None
            and WAS_ALWAYS.search(t) is None):
        return DangerDecision("ask", CUE_SCORE, "threat_on_condition")
    return None


def _decide_one(text: str, parse: Mapping[str, Any] | None, net: DangerSignal | None) -> DangerDecision:
    """The rules of the module docstring (1 to 6) on one text."""
    c = cues(text)
    if net is not None and net.self_harm:
        return DangerDecision("alert", 1.0, f"net:{net.rule}", "self_harm")
    if net is not None and c.past_only:
        if c.over or c.distant:
            return DangerDecision("none", 0.0, f"net_over:{net.rule}")
        # round 6: told for the record, placed in the past, nothing now
        if _sure_of(parse, REPORTS, REPORT_SURE_NET_PAST) and REPORT_FRAME.search(c.text) is not None:
            return DangerDecision("none", 0.0, f"net_past_report:{net.rule}")
        return DangerDecision("ask", 1.0, f"net_past:{net.rule}")
    if net is not None:
        return DangerDecision("alert", 1.0, f"net:{net.rule}")
    p = danger_probability(parse)
    ps = danger_probability(parse, SELF_HARM_INTENT)
    strong = SELF_HARM_CUE.search(c.quiet) is not None or SELF_HARM_INDIRECT.search(c.quiet) is not None
    other_end = NOT_HER_LIFE.search(read_dialect(c.text)) is not None  # round 10: our texts, a holiday, a date dreaded
    if AS_PRESCRIBED.search(c.text) is not None and PILLS_ALL.search(c.text) is None:
        strong = False  # round 10: "took my tablets this morning like the doctor said" is asked at most
    weak = SELF_HARM_WEAK_CUE.search(c.quiet) is not None and not other_end
    figure = IDIOM.search(c.text) is not None  # "my boss is going to kill me lol": no guess from the model
    guess = (ps >= PS_ASK_NO_CUE and _top_intent(parse) == SELF_HARM_INTENT and not c.denial and not figure
             and not other_end)
    if ps >= PS_ASK and ps > p and (strong or weak or guess):
        if SELF_HARM_DENIAL.search(c.text) is not None and ps < P_ASK_DESPITE_DENIAL:
            return DangerDecision("none", ps, "self_harm_denial", "self_harm")
        if ps >= PS_ALERT and strong:
            return DangerDecision("alert", ps, "model_self_harm", "self_harm")
        return DangerDecision("ask", ps, "model_self_harm_unsure", "self_harm")
    if SELF_HARM_INDIRECT.search(c.quiet) is not None and SELF_HARM_DENIAL.search(c.text) is None:
        return DangerDecision("ask", max(ps, CUE_SCORE), "self_harm_said_indirectly", "self_harm")
    if PLAN_ALONE.search(c.text) is not None:  # round 8: "I know now how I'll do it", said with nothing else
        return DangerDecision("ask", max(ps, CUE_SCORE), "self_harm_plan_alone", "self_harm")
    if c.words == 0 and SELF_HARM_EMOJI.search(text) is not None and JOY_EMOJI.search(text) is None:
        return DangerDecision("ask", max(ps, CUE_SCORE), "self_harm_emoji", "self_harm")  # round 9: "⚰️🥀"
    present_harm = c.harm and c.present
    if c.denial and not present_harm:
        if p >= P_ASK_DESPITE_DENIAL:
            return DangerDecision("ask", p, "model_despite_denial")
        return DangerDecision("none", p, "denial")
    if p >= P_ALERT and c.past_only:  # "he pushed me down the stairs in March": a report, ask at most
        if c.over or c.distant:
            return DangerDecision("none", p, "model_over")
        return DangerDecision("ask", p, "model_past")
    # 🆘 🔪 🚨 are a sign; a face of fear is one only said alone ("😱😱"), not beside words about her feelings
    # round 9: anxious or worried faces alone ("😰😰", "😟") say how she feels: asked about; terror ("😱") is a sign
    alone = c.words == 0 and (TERROR_FACES.search(text) is not None or WORRY_FACES.search(text) is None)
    sign = c.emoji and (alone or DANGER_EMOJI.search(FEAR_FACES.sub("", text)) is not None)
    if p >= P_ALERT and (c.violence or c.urgency or sign or (c.harm and c.present)):
        return DangerDecision("alert", p, "model")
    if p >= P_ALERT and figure and KILL_WORD.search(c.text) is not None and not (c.harm or c.urgency or c.emoji):
        # round 10: "diese Hitze bringt mich um": a figure of speech of killing and nothing else named
        return DangerDecision("none", p, "figure_of_speech")
    if p >= P_ALERT:  # "er schläft", "he is helping with the kids": the model alone, nothing named
        return DangerDecision("ask", p, "model_without_cues")
    if p >= P_ALERT_WITH_CUES and present_harm and not c.denial:
        return DangerDecision("alert", p, "model_with_present_harm")
    if c.past_only and (c.over or c.distant) and not c.urgency:  # over, or long ago: a report
        return DangerDecision("none", p, "model_over")
    if (_sure_of(parse, REPORTS, REPORT_SURE) and p < P_ASK and c.past_only and not (c.urgency or c.emoji)
            and REPORT_FRAME.search(c.text) is not None and ARRIVAL_MESSAGE.search(c.text) is None):
        # round 6: the model is sure she is telling an incident, for the record, and nothing is now
        return DangerDecision("none", p, "model_report")
    named = c.harm or c.urgency or c.emoji or c.words <= SHORT_WORDS
    floor = P_ASK_PAST_ONLY if c.past_only else (P_ASK if named else P_ASK_NO_CUE)
    cue = (c.harm or c.urgency) if figure else c.any  # a figure of speech "today" anchors nothing
    if p >= floor and (cue or c.emoji or (_top_intent(parse) in WORRYING and not figure)):
        return DangerDecision("ask", p, "model_unsure")
    named_now = c.harm or c.urgency or c.emoji
    if _top_intent(parse) == FALLBACK_INTENT and _best_guess(parse) == DANGER_INTENT and p >= P_ASK and c.any and not (
            c.past_only or figure):  # round 6: the model knows nothing better than danger, and it is happening now
        return DangerDecision("ask", p, "model_fallback_danger")
    anchored = c.present and not c.denial  # round 7: "now", "still", "since" in a long message count like a short one
    if p >= P_ASK_ANYWAY and not c.past_only and (c.words <= QUARTER_WORDS or named_now or anchored) and (
            named_now or not figure):
        # a quarter of the model's belief on danger is worth a question in a short message or one naming anything
        return DangerDecision("ask", p, "model_quarter")
    calm = (_sure_of(parse, CALM_INTENTS, SURE_OTHER) and p < P_CUE_FLOOR and ps < PS_ASK and not (c.urgency or c.emoji)
            and (c.past or c.over) and NOW_STRONG.search(OVER.sub(" ", c.text)) is None
            and PLACE_ALONE.search(c.text) is None)
    # round 8: with the model sure of a report or a calm answer and danger almost nothing, a day or "over" named ("he
    # hit me at the weekend, I'm at my mum's now") asks nothing for harm named unless it is happening at this moment
    # ("right now", "still", "again", "gerade"): her "now" says where she is, not what he does
    if c.harm and not c.past_only and not c.denial and (c.violence or p >= P_CUE_FLOOR):
        if calm:
            return DangerDecision("none", p, "model_sure_calm")
        return DangerDecision("ask", max(p, CUE_SCORE), "present_harm" if c.present else "harm")
    if ARRIVAL_MESSAGE.search(c.text) is not None and not c.past_only and not c.denial:
        return DangerDecision("ask", max(p, CUE_SCORE), "his_arrival_message")
    if PLACE_ALONE.search(c.text) is not None and not c.denial:
        return DangerDecision("ask", max(p, CUE_SCORE), "place_alone")
    if FEEL_UNSAFE_NOW.search(c.text) is not None and not c.past_only:
        return DangerDecision("ask", max(p, CUE_SCORE), "feels_unsafe_now")
    bare = c.words == 0 or ANCHOR_WORDS_ONLY.search(c.text) is not None  # round 9: "👊😢 now"
    if bare and len(DISTRESS_EMOJI.findall(text)) >= 2 and JOY_EMOJI.search(text) is None:
        # round 6: emoji alone telling distress ("🔥🚪😭", "😭😭🏃"): asked, never an alert by itself
        return DangerDecision("ask", max(p, CUE_SCORE), "distress_emoji")
    return DangerDecision("none", p, "no_signal")
