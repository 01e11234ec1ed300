"""On-call staff on her bot's own path: alerts through the outbox, the staff's linked Telegram chat, and
taking an escalation from an alert (the console, above bot, uses the same claim)."""
