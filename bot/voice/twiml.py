"""Every TwiML document the service returns during a call, built with twilio's `VoiceResponse`.

Her leg hears only her cover's neutral line and the key prompt; the worker's leg hears the whisper.
Nothing is recorded or transcribed: no <Record>, no `record` attribute, no transcription anywhere.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, VoiceResponse

ASK_SECONDS = 8  # how long she has to press 1
RING_SECONDS = 25  # how long her phone rings before we give up (well before most voicemails pick up)
CALL_EVENTS = "initiated ringing answered completed"
LANGUAGES = {"en": "en-GB", "de": "de-DE"}


def language(locale: str) -> str:
    return LANGUAGES.get(locale, "en-GB")


def code_call(code: str) -> str:
    """The worker's own phone is verified once: we ring it and say the code (digit by digit, twice)."""
    spoken = ", ".join(code)
    response = VoiceResponse()
    response.say(f"Your liaison console code is {spoken}. Again: {spoken}.", language="en-GB")
    response.hangup()
    return str(response)


def worker_ready(ready_url: str) -> str:
    """The worker's phone answered: nothing about her until a person presses 1 (a voicemail of the
    worker's would otherwise keep her name and safe word)."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, timeout=ASK_SECONDS, action=ready_url, method="POST", input="dtmf",
                             action_on_empty_result=True)
    gather.say("A liaison call. Press 1 to start it.", language="en-GB")
    response.hangup()
    return str(response)


def worker_leg(whisper: str, her_number: str, caller_id: str, her_url: str, her_status_url: str,
               dial_done_url: str) -> str:
    """When the worker pressed 1: the whisper, then her number dialled from the service's number. Her
    leg runs `her_url` before any bridge (the check), with answering machine detection on."""
    response = VoiceResponse()
    response.say(whisper, language="en-GB")
    dial = Dial(caller_id=caller_id, timeout=RING_SECONDS, action=dial_done_url, method="POST")
    dial.number(her_number, url=her_url, method="POST", machine_detection="Enable",
                status_callback=her_status_url, status_callback_event=CALL_EVENTS, status_callback_method="POST")
    response.append(dial)
    return str(response)


def ask_her(line: str, locale: str, key_url: str) -> str:
    """Her leg, answered by a person: the neutral line with the key prompt, one digit gathered. No
    key within the time still reaches `key_url` (actionOnEmptyResult), and a hang-up follows anyway."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, timeout=ASK_SECONDS, action=key_url, method="POST", input="dtmf",
                             action_on_empty_result=True)
    gather.say(line, language=language(locale))
    response.hangup()
    return str(response)


def bridge() -> str:
    """Her "1": the check ends without a word and Twilio connects her to the worker."""
    return str(VoiceResponse())


def empty() -> str:
    return str(VoiceResponse())


def end_silently() -> str:
    """A machine, no key or a wrong key: the call ends without another word (nothing to leave)."""
    response = VoiceResponse()
    response.hangup()
    return str(response)


def worker_after(summary: str) -> str:
    """The worker's leg after her leg ended: a short word on what happened, then the end."""
    response = VoiceResponse()
    response.say(summary, language="en-GB")
    response.hangup()
    return str(response)
