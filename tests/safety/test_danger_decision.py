"""The danger decision: alert, ask or nothing, by the rule in safety/danger_decision.py."""

from __future__ import annotations

from typing import Any

import pytest

from content.text import fold_for_danger
from safety.danger_decision import IDIOM, P_ALERT, P_ASK, cues, danger_probability, decide
from safety.danger_net import DangerSignal


def parse(top: str, confidence: float, danger: float | None = None) -> dict[str, Any]:
    ranking = [{"name": top, "confidence": confidence}]
    if danger is not None and top != "danger_now":
        ranking.append({"name": "danger_now", "confidence": danger})
    return {"intent": {"name": top, "confidence": confidence}, "intent_ranking": ranking}


def test_the_danger_net_always_alerts_whatever_the_model_says() -> None:
    decision = decide("anything", parse("greet", 0.99), DangerSignal("abuser_present", "en"))
    assert decision.action == "alert" and decision.reason == "net:abuser_present"


def test_a_confident_danger_intent_alerts() -> None:
    assert decide("he's going mad", parse("danger_now", P_ALERT + 0.1), None).action == "alert"


def test_danger_low_in_the_ranking_still_asks() -> None:
    decision = decide("feeling odd", parse("feeling_unsafe", 0.6, danger=P_ASK + 0.01), None)
    assert decision.action == "ask" and decision.caught


def test_nothing_happens_without_any_signal() -> None:
    decision = decide("can you ring me on friday", parse("request_callback", 0.9, danger=0.01), None)
    assert decision.action == "none" and not decision.caught


@pytest.mark.parametrize(
    "text",
    [
        "he hit me last night and he's still here",  # past tense, but "still"
        "er hat mich gestern geschlagen und ist immer noch da",
        "he choked me before and now hes doing it again",
    ],
)
def test_past_tense_with_now_still_again_counts_as_present(text: str) -> None:
    c = cues(text)
    assert c.harm and c.present and not c.past_only
    assert decide(text, parse("report_incident", 0.7, danger=0.3), None).action == "alert"
    assert decide(text, parse("report_incident", 0.9, danger=0.01), None).action == "ask"


@pytest.mark.parametrize(
    "text", ["he hit me last week", "er hat mich letzte woche geschubst", "he grabbed my arm a few days ago"]
)
def test_harm_only_in_the_past_is_left_to_the_model(text: str) -> None:
    assert cues(text).past_only
    assert decide(text, parse("report_incident", 0.9, danger=0.05), None).action == "none"


@pytest.mark.parametrize(
    "text",
    ["dont worry im fine and safe now", "i'm not in danger", "er ist nicht da, alles gut", "bin nicht in gefahr"],
)
def test_an_explicit_denial_is_not_an_alert(text: str) -> None:
    assert cues(text).denial
    assert decide(text, parse("feeling_safe", 0.5, danger=0.3), None).action == "none"
    assert decide(text, parse("danger_now", 0.6), None).action == "ask"  # the model insists: ask, never ignore


def test_a_denial_that_is_not_one_does_not_hide_danger() -> None:
    text = "hes not supposed to be here but hes in the hallway now"
    assert not cues(text).denial
    assert decide(text, parse("report_incident", 0.6, danger=0.3), None).action == "alert"


@pytest.mark.parametrize(
    "text", ["what can i do here", "wie funktioniert das hier", "text me when the kids are at school"]
)
def test_everyday_words_for_places_do_not_ask(text: str) -> None:
    assert decide(text, parse("help_menu", 0.8, danger=0.01), None).action == "none"


def test_violence_named_without_a_time_asks() -> None:
    decision = decide("he has a knife", parse("report_incident", 0.9, danger=0.01), None)
    assert decision.action == "ask" and decision.score >= P_ASK


def test_the_probability_is_read_from_the_ranking_or_the_intent() -> None:
    assert danger_probability(None) == 0.0
    assert danger_probability(parse("danger_now", 0.42)) == 0.42
    assert danger_probability(parse("greet", 0.9, danger=0.07)) == 0.07
    assert danger_probability({"intent": {"name": "danger_now", "confidence": 0.8}}) == 0.8


def test_a_decision_names_a_rule_never_the_text() -> None:
    text = "he is outside 12 Rosebank Road"
    decision = decide(text, parse("report_incident", 0.5, danger=0.2), None)
    assert "Rosebank" not in repr(decision)


def test_out_of_domain_text_with_a_little_danger_probability_is_not_asked() -> None:
    flat = {"intent": {"name": "nlu_fallback", "confidence": 0.3},
            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "danger_now", "confidence": 0.16}]}
    assert decide("meet me at the bakery at noon", flat, None).action == "none"
    assert decide("hilfeee", flat, None).action == "ask"  # a call for help, however spelt, is a cue


# -- issue 23: self-harm has its own path; tense and negation ----------------------------------------

def self_harm_parse(confidence: float) -> dict[str, Any]:
    return {"intent": {"name": "self_harm", "confidence": confidence},
            "intent_ranking": [{"name": "self_harm", "confidence": confidence},
                               {"name": "danger_now", "confidence": 0.05}]}


def test_a_self_harm_rule_of_the_net_alerts_as_self_harm_and_is_never_downgraded_by_the_past() -> None:
    decision = decide("took all my tablets last night", parse("stop", 0.9), DangerSignal("self_harm_overdose", "en"))
    assert (decision.action, decision.kind) == ("alert", "self_harm")


def test_the_model_sure_of_self_harm_alerts_as_self_harm_and_unsure_asks() -> None:
    sure = decide("the tablets are in my hand", self_harm_parse(0.8), None)
    assert (sure.action, sure.kind) == ("alert", "self_harm")
    assert decide("the tablets are in my hand", self_harm_parse(0.3), None).action == "ask"
    assert decide("i cant go on", self_harm_parse(0.8), None).action == "ask"  # a weak cue: asked, never alerted


def test_the_models_self_harm_guess_alone_asks_but_never_alerts_when_the_text_names_nothing_of_it() -> None:
    """A goodbye or 'letters for the kids' names nothing of self-harm: the model's sure guess asks, never alerts."""
    sure = decide("bitte keine nachrichten", self_harm_parse(0.8), None)
    assert (sure.action, sure.kind) == ("ask", "self_harm")
    assert decide("bitte keine nachrichten", self_harm_parse(0.3), None).action == "none"


def test_saying_she_would_never_hurt_herself_raises_nothing() -> None:
    assert decide("dont worry i would never hurt myself", self_harm_parse(0.4), None).action == "none"


@pytest.mark.parametrize("text", [
    "he kicked the door in on tuesday, its been fixed now",
    "two weeks ago he locked me in the bedroom",
    "er hat am dienstag die tür eingetreten, die ist jetzt repariert",
    "die polizei war am samstag da, seitdem ist ruhe",
    "back when we were together he threw a plate at me, its all behind me now",
    "er hat mir damals eine vase nachgeworfen, das liegt jetzt hinter mir",
])
def test_an_incident_that_is_over_does_not_alert_even_when_the_net_fires(text: str) -> None:
    decision = decide(text, parse("report_incident", 0.8, danger=0.1), DangerSignal("abuser_present", "en"))
    assert decision.action == "none"


def test_the_net_on_a_recent_past_incident_asks_rather_than_alerts() -> None:
    decision = decide("he broke in last night", parse("report_incident", 0.8, danger=0.1),
                      DangerSignal("abuser_present", "en"))
    assert decision.action == "ask"


@pytest.mark.parametrize("text", [
    "he kicked the door in last week and hes back now",
    "he broke in two weeks ago, help me hes outside",
    "he threw a mug at me a minute ago",
    "its behind me now, he followed me in and threw a mug at me",
])
def test_the_present_wins_over_any_past_in_the_same_message(text: str) -> None:
    net = DangerSignal("abuser_present", "en")
    assert decide(text, parse("report_incident", 0.8, danger=0.1), net).action == "alert"


@pytest.mark.parametrize("text", [
    "its not an emergency, just an update",
    "kein notfall, wollte mich nur melden",
    "hes being weirdly nice and it scares me",
    "er ist plötzlich so nett, das macht mir angst",
])
def test_not_an_emergency_and_fear_of_him_being_nice_raise_no_alarm(text: str) -> None:
    assert decide(text, parse("feeling_unsafe", 0.6, danger=0.3), None).action == "none"


# -- issue 23, round 2: what the model says alone, figures of speech, negation, memory, later -------

@pytest.mark.parametrize("text", ["er schläft", "he's polite to me now", "the door is locked"])
def test_the_model_alone_asks_but_never_alerts_when_the_text_names_nothing(text: str) -> None:
    decision = decide(text, parse("danger_now", 0.95), None)
    assert (decision.action, decision.reason) == ("ask", "model_without_cues")


@pytest.mark.parametrize("text", ["he's hitting me", "hilfe bitte", "🔪😱", "er ist hier jetzt"])
def test_the_model_sure_of_danger_alerts_when_the_text_names_harm_help_or_a_danger_emoji(text: str) -> None:
    assert decide(text, parse("danger_now", 0.9), None).action == "alert"


@pytest.mark.parametrize("text", [
    "he hasn't hit me since the course started",
    "seit dem kurs hat er mich nicht mehr geschlagen",
    "he didn't hurt anyone, it was a misunderstanding",
])
def test_violence_said_not_to_have_happened_is_no_alarm(text: str) -> None:
    c = cues(text)
    assert not c.violence and c.denial
    assert decide(text, parse("feeling_safe", 0.6, danger=0.3), None).action == "none"


@pytest.mark.parametrize("text", [
    "work is killing me this week but home is calm",
    "i could kill for a coffee",
    "die arbeit bringt mich diese woche um",
    "my mum's going to kill me, i forgot her birthday",
])
def test_figures_of_speech_name_no_violence(text: str) -> None:
    assert not cues(text).violence
    assert decide(text, parse("feeling_safe", 0.7, danger=0.1), None).action == "none"


def test_her_memory_of_an_old_incident_is_not_a_present_anchor() -> None:
    text = "he threatened me with a knife years ago, i still think about it"
    assert cues(text).past_only
    assert decide(text, parse("report_incident", 0.8, danger=0.2), DangerSignal("weapon", "en")).action == "none"


@pytest.mark.parametrize("text", ["he's coming tomorrow to get the kids", "er kommt morgen"])
def test_his_presence_said_for_later_is_not_now(text: str) -> None:
    assert not cues(text).present
    assert decide(text, parse("danger_now", 0.8), None).action == "ask"


def test_a_question_about_emergencies_is_no_call_for_help() -> None:
    assert not cues("who do i call in an emergency").urgency
    assert decide("who do i call in an emergency", parse("danger_now", 0.75), None).action == "ask"
    assert cues("help me please").urgency


def test_a_goodbye_with_the_model_leaning_to_self_harm_is_asked_about() -> None:
    decision = decide("ich glaub es ist zeit mich von allen zu verabschieden", self_harm_parse(0.42), None)
    assert (decision.action, decision.kind) == ("ask", "self_harm")


@pytest.mark.parametrize("text", [
    "i keep picturing my own funeral",
    "there's no future with me in it",
    "sorry for being such a burden, you won't hear from me again",
    "mir fällt kein grund mehr ein zu bleiben",
    "ohne mich wäre es für alle leichter",
])
def test_warning_signs_said_indirectly_are_asked_about_whatever_the_model_says(text: str) -> None:
    decision = decide(text, parse("feeling_safe", 0.9, danger=0.01), None)
    assert (decision.action, decision.kind) == ("ask", "self_harm")


@pytest.mark.parametrize("text", [
    "i said goodbye to him at the handover",
    "your last message didn't come through",
    "die beerdigung meiner oma war schön",
    "kein grund mehr zur sorge",
])
def test_everyday_goodbyes_funerals_and_reasons_are_not_warning_signs(text: str) -> None:
    assert decide(text, parse("feeling_safe", 0.9, danger=0.01), None).action == "none"


@pytest.mark.parametrize("text", [
    "thank you for everything you've done. take care of yourself",
    "danke für alles, passt auf euch auf",
    "sometimes i think they'd manage if i just wasn't there",
    "i'm in the car in the garage with the engine running",
])
def test_a_farewell_or_a_method_without_the_words_is_asked_about_as_self_harm(text: str) -> None:
    decision = decide(text, parse("thanks", 0.8, danger=0.01), None)
    assert (decision.action, decision.kind) == ("ask", "self_harm")


@pytest.mark.parametrize("text", [
    "when i was pregnant he kicked me down the stairs, it's been years now",
    "back at easter he threw the toys at me, nothing since",
])
def test_an_old_incident_said_as_such_is_not_asked_about(text: str) -> None:
    assert cues(text).past_only
    assert decide(text, parse("report_incident", 0.7, danger=0.4), None).action == "none"


def test_a_quarter_of_the_models_belief_on_danger_asks_even_when_nothing_is_named() -> None:
    assert decide("just the usual week with the kids", parse("feeling_safe", 0.6, danger=0.28), None).action == "ask"
    assert decide("just the usual week with the kids", parse("feeling_safe", 0.8, danger=0.2), None).action == "none"


# -- issue 23, round 4: fear said with a face, "he isn't here", incidents over told long or misspelt ----------

@pytest.mark.parametrize("text", [
    "his cousin keeps turning up at my work and i'm freaked 😰",
    "mir ist so mulmig wegen morgen 😨",
])
def test_a_face_of_fear_beside_words_asks_but_never_alerts_from_the_model_alone(text: str) -> None:
    decision = decide(text, parse("danger_now", 0.9), None)
    assert decision.action == "ask"


@pytest.mark.parametrize("text", ["😱😱", "🔪😰"])
def test_danger_emoji_alone_still_alert(text: str) -> None:
    assert decide(text, parse("danger_now", 0.9), None).action == "alert"


@pytest.mark.parametrize("text", [
    "he isn't about and hasn't texted",
    "last yr he smashed my laptop and locked me in the car",
    "at new year's eve he shoved me, it's over now and he's moved away",
    "im märz hat er mich gewürgt, das war noch bevor wir umgezogen sind, ist gut verheilt",
    "vor ein paar wochen hat er mich geschubst, jetzt bin ich in sicherheit",
    "this month has been killing me at work but we're good",
])
def test_negation_past_and_over_in_new_wordings_raise_nothing(text: str) -> None:
    decision = decide(text, parse("report_incident", 0.8, danger=0.2), None)
    assert decision.action == "none", decision


@pytest.mark.parametrize("text", [
    "how many of the tablets can i take for a migraine",
    "wie viele pillen darf ich gegen die regelschmerzen nehmen",
    "i'm done with the life admin for today",
])
def test_medicine_for_a_headache_and_life_admin_are_no_self_harm_cue(text: str) -> None:
    decision = decide(text, parse("self_harm", 0.6), None)
    assert decision.action != "alert", decision


@pytest.mark.parametrize("text", ["i don't feel safe right now", "ich fühl mich gerade nicht sicher"])
def test_not_feeling_safe_now_is_asked_about(text: str) -> None:
    decision = decide(text, parse("feeling_unsafe", 0.8, danger=0.05), None)
    assert decision.action == "ask" and decision.caught


# -- issue 23, round 6 -----------------------------------------------------------------------------------


def test_the_patterns_are_folded_like_the_text() -> None:
    """'tuesday' folds to 'tusday' in the text; the patterns must fold alike or they never match."""
    assert cues("he threatened me on tuesday").past_only
    assert cues("er hat mich neulich geschubst").past_only
    assert cues("the other week he grabbed my arm").past_only


@pytest.mark.parametrize("text", [
    "he left a threatening voicemail on tuesday, i've saved it",
    "the other week he grabbed my wrist at the school gate, i'd like it on file",
    "am dienstag hat er mir gedroht, das soll in die akte",
])
def test_a_past_incident_told_for_the_record_is_not_asked_about_when_the_model_is_sure_it_is_a_report(
        text: str) -> None:
    assert decide(text, parse("report_incident", 0.9, danger=0.05), None).action == "none"


@pytest.mark.parametrize("text", [
    "he grabbed my wrist, i'd like it on file, he's still outside",  # present: asked or alerted
    "he has a knife, i want it on record",  # no past placed
])
def test_the_record_frame_never_silences_the_present(text: str) -> None:
    assert decide(text, parse("report_incident", 0.9, danger=0.05), None).caught


def test_a_net_hit_in_the_recent_past_told_for_the_record_is_not_asked_but_alone_it_is() -> None:
    net = DangerSignal("abuser_present", "en")
    assert decide("he broke in last night", parse("report_incident", 0.8, danger=0.1), net).action == "ask"
    told = "he broke in last night, i want it written down for my solicitor"
    assert decide(told, parse("report_incident", 0.8, danger=0.1), net).action == "none"


def test_the_model_falling_back_with_danger_its_best_guess_asks_when_something_is_now() -> None:
    flat = {"intent": {"name": "nlu_fallback", "confidence": 0.3},
            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "danger_now", "confidence": 0.2}]}
    assert decide("it is happening again right now and i do not know what to do", flat, None).action == "ask"
    assert decide("meet me at the bakery at noon", flat, None).action == "none"


@pytest.mark.parametrize(("text", "action"), [("🔥🚪😭", "ask"), ("😭😭", "ask"), ("😂😭", "none"), ("🔥", "none"),
                                              ("👍", "none")])
def test_emoji_alone_telling_distress_ask(text: str, action: str) -> None:
    assert decide(text, parse("nlu_fallback", 0.3, danger=0.05), None).action == action


@pytest.mark.parametrize("text", ["work is murdering me this week", "my teenager is killing me",
                                  "die hitze bringt mich noch um", "the boiler broke and the cat threw up"])
def test_everyday_violent_words_name_no_violence(text: str) -> None:
    assert not cues(text).violence


@pytest.mark.parametrize("text", ["he is killing me", "my boyfriend is killing me", "er zündet die wohnung an",
                                  "he's set fire to the bin"])
def test_violence_from_a_person_stays_violence(text: str) -> None:
    assert cues(text).violence


@pytest.mark.parametrize("text", ["er bringt mich um", "sein bruder bringt mich noch um", "my ex is killing me"])
def test_a_person_killing_her_is_no_figure_of_speech(text: str) -> None:
    assert IDIOM.search(fold_for_danger(text)) is None


def test_him_waiting_for_her_since_a_clock_time_said_in_words_is_his_presence_now() -> None:
    c = cues("er wartet seit halb sechs im auto von seinem kumpel vor dem studio auf mich")
    assert c.harm and c.present


def test_not_expecting_to_come_home_is_a_warning_sign() -> None:
    text = "parked at the top of the quarry and i don't think i'm driving home"
    assert decide(text, parse("feeling_unsafe", 0.7, danger=0.05), None).action == "ask"


@pytest.mark.parametrize(("text", "figure"), [("ich verbrenn mich wieder am herd beim kochen", True),
                                              ("i burnt my hand cooking tea", True),
                                              ("ich verbrenn mich absichtlich beim kochen", False),
                                              ("burning myself with a lighter while cooking", False)])
def test_a_burn_while_cooking_is_everyday_unless_on_purpose(text: str, figure: bool) -> None:
    assert (IDIOM.search(fold_for_danger(text)) is not None) == figure


def test_no_longer_in_danger_is_a_denial() -> None:
    assert cues("i'm no longer in danger").denial and cues("ich bin nicht mehr in gefahr").denial


@pytest.mark.parametrize("text", ["hab jetzt alles organisiert, die kinder sind ab freitag bei meiner mama",
                                  "ich hab entschieden heute schluss zu machen, der brief liegt auf dem tisch",
                                  "everything's arranged, the kids are staying with my sister from tomorrow"])
def test_a_plan_told_through_where_the_children_will_be_is_asked_about(text: str) -> None:
    decision = decide(text, parse("feeling_safe", 0.7, danger=0.02), None)
    assert decision.action == "ask" and decision.kind == "self_harm"


@pytest.mark.parametrize("text", ["ich hab beschlossen dass ich mit ihm schluss mache",
                                  "alles geplant für den Geburtstag, die Kinder sind bei meiner Mutter"])
def test_a_break_up_or_a_party_being_planned_is_not_a_plan_to_die(text: str) -> None:
    assert decide(text, parse("feeling_safe", 0.7, danger=0.02), None).action == "none"


# -- issue 23, round 7 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["under the stairs at my nan's", "in the wardrobe", "locked in the work toilets",
                                  "behind the wheelie bin round the back", "im keller bei meiner schwester",
                                  "hinter da hecke", "unterm bett", "versteckt im kleiderschrank im kinderzimmer"])
def test_a_hiding_place_said_alone_is_asked_about(text: str) -> None:
    assert decide(text, parse("feeling_safe", 0.8, danger=0.01), None).action == "ask"


@pytest.mark.parametrize("text", ["in bed", "im bett", "at work", "in der arbeit", "the wardrobe door is broken",
                                  "i tidied the cellar today", "im keller ist es feucht"])
def test_an_ordinary_place_or_a_sentence_about_one_is_not_a_hiding_place(text: str) -> None:
    assert decide(text, parse("feeling_safe", 0.8, danger=0.01), None).action == "none"


def test_the_models_top_guess_of_self_harm_from_0_4_asks_with_nothing_named() -> None:
    ranking = {"intent": {"name": "self_harm", "confidence": 0.42},
               "intent_ranking": [{"name": "self_harm", "confidence": 0.42},
                                  {"name": "feeling_unsafe", "confidence": 0.3},
                                  {"name": "danger_now", "confidence": 0.02}]}
    decision = decide("i have made up my mind about everything", ranking, None)
    assert (decision.action, decision.kind) == ("ask", "self_harm")


def test_a_quarter_of_danger_with_a_present_anchor_asks_in_a_long_message() -> None:
    text = "so the kids are at their gran's and i am sitting in the kitchen with the radio on and i still don't know"
    assert len(text.split()) > 10
    assert decide(text, parse("feeling_safe", 0.5, danger=0.26), None).action == "ask"
    assert decide(text.replace("still ", ""), parse("feeling_safe", 0.5, danger=0.26), None).action == "none"


@pytest.mark.parametrize("text", ["i've asked my friend to keep the kids' passports, she'll know what to do",
                                  "hab ihr die papiere der kinder gegeben, sie weiß dann was zu tun ist"])
def test_the_childrens_papers_handed_over_with_she_will_know_what_to_do_is_a_warning_sign(text: str) -> None:
    assert decide(text, parse("feeling_safe", 0.8, danger=0.01), None).action == "ask"


def test_the_childrens_papers_as_part_of_a_safety_plan_are_not_a_warning_sign() -> None:
    text = "i gave my friend copies of the kids passports as part of my safety plan"
    assert decide(text, parse("feeling_safe", 0.8, danger=0.01), None).action == "none"


# -- issue 23, round 8 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["I know now how I'll do it", "i know how ill do it",
                                  "ive decided how im going to do it",
                                  "ok i know now how i will do it tonight", "ich weiß jetzt wie ich es mache",
                                  "ich weis jetzt wie ichs mach", "hab mir jetzt überlegt wie ich es mache"])
def test_a_plan_to_end_her_life_said_alone_is_asked_about_never_alerted(text: str) -> None:
    decision = decide(text, parse("feeling_safe", 0.8, danger=0.01), None)
    assert (decision.action, decision.kind, decision.reason) == ("ask", "self_harm", "self_harm_plan_alone")


@pytest.mark.parametrize("text", ["i know how i'll do the cake now",
                                  "I know now how I'll do it, first the eggs then the flour",
                                  "i know how i'll do it with the bank tomorrow", "ok i know how i'll do it, thanks",
                                  "ich weiß jetzt wie ich den kuchen mache",
                                  "ich weiß jetzt wie ich es mit dem umzug mache",
                                  "i know how to do it now", "ich weiß wie das geht"])
def test_a_plan_with_its_object_named_is_no_plan_to_die(text: str) -> None:
    assert decide(text, parse("feeling_safe", 0.8, danger=0.01), None).action == "none"


@pytest.mark.parametrize("text", ["he hit me at the weekend, I'm at my mum's now",
                                  "er hat mich am samstag geschlagen, jetzt bin ich bei meiner schwester"])
def test_a_sure_report_with_a_day_named_and_her_now_asks_nothing(text: str) -> None:
    decision = decide(text, parse("report_incident", 0.9, danger=0.01), None)
    assert (decision.action, decision.reason) == ("none", "model_sure_calm")


@pytest.mark.parametrize("text", ["he hit me on monday and he's hitting me again right now",
                                  "am montag war termin aber jetzt ist er gerade reingekommen und hat mich geschlagen",
                                  "he has a knife"])
def test_a_sure_report_does_not_hide_harm_happening_at_this_moment(text: str) -> None:
    assert decide(text, parse("report_incident", 0.9, danger=0.01), None).action == "ask"


@pytest.mark.parametrize("text", ["tonight i'm going to be with my mum, she died three years ago",
                                  "heute abend geh ich zu meiner mama, sie ist letztes jahr gestorben"])
def test_going_to_her_dead_mother_as_a_plan_is_a_warning_sign(text: str) -> None:
    decision = decide(text, parse("feeling_safe", 0.8, danger=0.01), None)
    assert (decision.action, decision.kind) == ("ask", "self_harm")


@pytest.mark.parametrize("text", ["going to see my mum's grave today, she died three years ago",
                                  "ich geh morgen zu meiner mama auf den friedhof, sie ist letztes jahr gestorben"])
def test_a_grave_visited_is_no_warning_sign(text: str) -> None:
    assert decide(text, parse("feeling_safe", 0.8, danger=0.01), None).reason != "self_harm_said_indirectly"


@pytest.mark.parametrize("text", ["he just lobbed the remote at me", "he keeps driving past the house"])
def test_him_just_now_or_passing_again_is_asked_about(text: str) -> None:
    assert decide(text, parse("report_incident", 0.5, danger=0.1), None).action == "ask"


@pytest.mark.parametrize("text", ["can he get kicked off the course if he misses sessions",
                                  "fliegt er aus dem kurs wenn er nicht hingeht"])
def test_him_taken_off_the_programme_is_no_violence(text: str) -> None:
    assert decide(text, parse("programme_info", 0.9, danger=0.0), None).action == "none"


@pytest.mark.parametrize("text", ["he's not outside or anything, i'm just jumpy",
                                  "er steht nicht vor der tür, bin nur nervös"])
def test_him_said_not_to_be_outside_is_a_denial(text: str) -> None:
    assert cues(text).denial
    assert not cues(text.replace("not ", "").replace("nicht ", "")).denial


def test_not_happening_now_places_a_net_hit_in_the_past() -> None:
    net = DangerSignal(rule="violence_now", locale="en")
    assert decide("it's not happening now but last night he had his hands round my throat", None, net).action == "none"
    assert decide("last night he had his hands round my throat", None, net).action == "ask"


@pytest.mark.parametrize("text", ["i could strangle my sister she ate my leftovers lol",
                                  "ich könnt meine schwester erwürgen haha"])
def test_she_could_strangle_a_relative_is_a_figure_of_speech(text: str) -> None:
    assert not cues(text).harm
    assert cues("he said he could strangle me").harm
