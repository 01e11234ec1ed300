"""The local simulator channel: a phone's chat with the bot, in the browser, without tokens."""
