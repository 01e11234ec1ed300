"""The Telegram channel (aiogram 3): sending, editing and deleting through the Bot API, and
receiving updates by webhook (production) or long polling (development).

- `channel.py`: `TelegramChannel`, the output side.
- `errors.py`: the mapping of Bot API errors to `SendError`.
- `updates.py`: one aiogram `Router` turning an update into one `InboundEvent`.
- `webhook.py`: `POST /webhooks/telegram`, `channel_from_settings`, `routes` (the registry entry).
- `polling.py`: what runs in the background: register the webhook, or long-poll getUpdates.
"""

from bot.channels.telegram.lean_aiogram import import_aiogram

import_aiogram()  # before any module of this package imports aiogram: see lean_aiogram.py
