"""Settings (after the PIN): language, time zone, safe contact windows, cover persona, plain mode,
PIN change, message expiry, unlock period and consents.

Each change is an UpdateProfile or RecordConsent effect; the engine applies it before rendering, so
the confirmation already speaks her new language and wears her new cover.
"""

from __future__ import annotations

from content import LOCALES
from content.text import fold
from flows import pin
from flows.consent import KINDS
from flows.keywords import SMS_STOP, keyword
from flows.state import FlowState, Turn, goto, result
from flows.types import Context, FlowResult, Option, ProfileChanges, RecordConsent, Say, SetStatus, UpdateProfile
from flows.windows import MAX_WINDOWS, PRESETS, Window, parse, valid

COMMON_TIMEZONES = ("Europe/London", "Europe/Dublin", "Europe/Berlin", "Europe/Vienna")
EXPIRY_CHOICES = (15, 60, 360, 1440)
UNLOCK_CHOICES = (5, 10, 30)
PAUSE_CHOICES = (6, 24, 72)  # hours SMS stays quiet after a quick exit
ENTRIES = ("language", "timezone", "windows", "persona", "plain", "pin", "expiry", "unlock", "exitword", "pause",
           "consents")
BACK = Option("menu:settings", "common.back")
TO_MENU = Option("menu:main", "common.back_to_menu")


def _main_say() -> Say:
    return Say("settings.main", options=(*(Option(f"set:{e}", f"settings.opt_{e}") for e in ENTRIES), TO_MENU))


def start(state: FlowState, ctx: Context) -> FlowResult:
    return show(state, ctx)


def show(state: FlowState, ctx: Context, *before: Say) -> FlowResult:
    return result(goto(state, "settings", "main"), *before, _main_say())


def _windows_say(windows: list[Window]) -> Say:
    presets = tuple(Option(f"preset:{n}", "windows.option", {"window": w}) for n, w in PRESETS.items())
    key = "settings.windows" if windows else "settings.windows_none"
    return Say(key, {"windows": windows}, (*presets, Option("win:clear", "settings.opt_clear_windows"), BACK))


def _consents_say(consents: dict[str, bool]) -> Say:
    options = tuple(
        Option(f"consent:{k}", f"settings.consent_{k}_{'on' if consents.get(k) else 'off'}") for k in KINDS
    )
    return Say("settings.consents", options=(*options, BACK))


def _entry(name: str, state: FlowState, ctx: Context) -> FlowResult:
    profile = ctx.profile
    st = goto(state, "settings", name)
    if name == "language":
        options = tuple(Option(f"lang:{loc}", f"settings.lang_{loc}") for loc in LOCALES)
        return result(st, Say("settings.language", options=(*options, BACK)))
    if name == "timezone":
        current = profile.timezone if profile else "Europe/London"
        options = tuple(Option(f"tz:{tz}", "settings.tz_option", {"tz": tz}) for tz in COMMON_TIMEZONES)
        return result(st, Say("settings.timezone", {"tz": current}, (*options, BACK)))
    if name == "windows":
        return result(st, _windows_say(list(profile.contact_windows) if profile else []))
    if name == "persona":
        options = tuple(Option(f"persona:{p}", "persona.option", {"persona": p}) for p in ctx.personas)
        return result(st, Say("settings.persona", options=(*options, BACK)))
    if name == "plain":
        options = (Option("plain:on", "settings.opt_plain_on"), Option("plain:off", "settings.opt_plain_off"), BACK)
        key = "settings.plain_is_on" if profile and profile.plain_mode else "settings.plain_is_off"
        return result(st, Say(key, options=options))
    if name == "pin":
        if not pin.duress_by_text(ctx):  # one PIN chosen by text here: no question that names another
            return pin.start_setup(state, ctx, purpose="settings")
        options = (Option("pin:main", "settings.opt_pin_main"), Option("pin:duress", "settings.opt_pin_duress"), BACK)
        return result(st, Say("settings.pin", options=options, sensitive=True))  # names her second PIN
    if name == "expiry":
        options = tuple(Option(f"exp:{m}", f"settings.minutes_{m}") for m in EXPIRY_CHOICES)
        return result(st, Say("settings.expiry", options=(*options, BACK)))
    if name == "unlock":
        options = tuple(Option(f"unl:{m}", f"settings.minutes_{m}") for m in UNLOCK_CHOICES)
        return result(st, Say("settings.unlock", options=(*options, BACK)))
    if name == "exitword":
        return result(st, Say("settings.exitword", {"word": state.exit_word or "—"}, (BACK,)))
    if name == "pause":
        options = tuple(Option(f"pause:{h}", f"settings.hours_{h}") for h in PAUSE_CHOICES)
        return result(st, Say("settings.pause", options=(*options, BACK)))
    return result(st, _consents_say(dict(profile.consents) if profile else {}))


def _exit_word(text: str | None) -> str | None:
    """Her own quick-exit word: one word of letters, not one that already means something."""
    word = fold(text)
    if not (2 <= len(word) <= 20) or not word.isalpha() or keyword(word, SMS_STOP) is not None:
        return None
    return word


def prompt(state: FlowState, ctx: Context) -> list[Say]:
    step = state.step
    return _entry(step, state, ctx).says if step is not None and step in ENTRIES else [_main_say()]


def _saved(state: FlowState, ctx: Context, changes: ProfileChanges) -> FlowResult:
    res = show(state, ctx, Say("settings.saved"))
    return FlowResult(res.state, res.says, [UpdateProfile(changes)])


def handle(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    step, choice = state.step, turn.choice or ""
    if choice.startswith("set:") and choice[4:] in ENTRIES:
        return _entry(choice[4:], state, ctx)
    prefix, _, value = choice.partition(":")
    if step == "language" and prefix == "lang" and value in LOCALES:
        return _saved(state, ctx, {"locale": value})
    if step == "timezone":
        typed = (turn.text or "").strip()
        name = value if prefix == "tz" else next((t for t in ctx.timezones if t.casefold() == typed.casefold()), "")
        if name in COMMON_TIMEZONES or name in ctx.timezones:
            return _saved(state, ctx, {"timezone": name})
        return result(state, Say("settings.bad_timezone"), *prompt(state, ctx)) if typed else None
    if step == "windows":
        return _windows(turn, choice, state, ctx)
    if step == "persona":
        named = fold(turn.text)
        name = value if prefix == "persona" else named
        if name in ctx.personas:
            return _saved(state, ctx, {"persona": name})
    if step == "plain" and prefix == "plain" and value in ("on", "off"):
        return _saved(state, ctx, {"plain_mode": value == "on"})
    if step == "pin" and prefix == "pin" and value in ("main", "duress"):
        return pin.start_setup(state, ctx, purpose="settings", target="duress" if value == "duress" else "main")
    if step == "expiry" and prefix == "exp" and value.isdigit() and int(value) in EXPIRY_CHOICES:
        return _saved(state, ctx, {"expiry_minutes": int(value)})
    if step == "unlock" and prefix == "unl" and value.isdigit() and int(value) in UNLOCK_CHOICES:
        return _saved(state, ctx, {"unlock_minutes": int(value)})
    if step == "exitword" and turn.text:
        word = _exit_word(turn.text)
        if word is None:
            return result(state, Say("settings.bad_exitword"), *prompt(state, ctx))
        return show(state.but(exit_word=word), ctx, Say("settings.saved"))
    if step == "pause" and prefix == "pause" and value.isdigit() and int(value) in PAUSE_CHOICES:
        st = state.but(settings=state.settings.model_copy(update={"sms_pause_hours": int(value)}))
        return show(st, ctx, Say("settings.saved"))
    if step == "consents" and prefix == "consent":
        return _toggle_consent(value, state, ctx)
    return None


def _windows(turn: Turn, choice: str, state: FlowState, ctx: Context) -> FlowResult | None:
    """A preset, "clear", or a time she types: a typed one is said back as understood."""
    current = [w for w in (ctx.profile.contact_windows if ctx.profile else []) if valid(w)]
    saved = Say("settings.saved")
    if choice == "win:clear":
        new: list[Window] = []
    else:
        name = choice.removeprefix("preset:")
        window = PRESETS.get(name) if choice.startswith("preset:") else parse(turn.text)
        if window is None:
            if turn.text and any(c.isdigit() for c in turn.text):
                return result(state, Say("windows.not_understood"), _windows_say(current))
            return None
        if not choice:
            saved = Say("windows.understood", {"windows": [window]})
        new = current if window in current else [*current, window][-MAX_WINDOWS:]
    return result(state, saved, _windows_say(new), effects=[UpdateProfile({"contact_windows": new})])


def _toggle_consent(kind: str, state: FlowState, ctx: Context) -> FlowResult | None:
    if kind not in KINDS or ctx.profile is None:
        return None
    consents = {k: bool(ctx.profile.consents.get(k)) for k in KINDS}
    consents[kind] = not consents[kind]
    record = RecordConsent(kind, consents[kind], ctx.consent_versions.get(kind, "unversioned"))
    if not any(consents.values()):
        st = goto(state, "declined", "main").but(unlocked_until=None)
        return result(st, Say("consent.all_withdrawn"), effects=[record, SetStatus("declined")])
    return result(state, Say("settings.saved"), _consents_say(consents), effects=[record])
