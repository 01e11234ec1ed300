"""A channel that exists only in tests: plain text, no deletion, no buttons, no edits, a short max
length, no carrier of its own. It proves a channel is one folder plus one registry entry: everything
it needs is here (its fake provider, the channel, its web route, its registry entry and her phone on
it), and the her-side journeys run on it unchanged (tests/conversations/test_journeys_on_every_channel.py).
"""
