"""Phone calls to her through Twilio Voice ("Call her now", issue 29): masked both ways, a check before
anything is said, never a voicemail. twiml.py writes every TwiML document, client.py places calls,
calls.py keeps the record, webhook.py answers Twilio."""
