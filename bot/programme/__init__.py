"""Programme events in: what his programme reports (started, dropped out, excluded, risk raised...)
arrives by the console form, a CSV import or the site's API token, is stored once per sender's id,
linked to her record by his case reference (a blind index), and moves her programme milestones.

kinds.py       the event kinds, as data (content/programme_events.yaml)
validation.py  one event checked field by field (pure)
moves.py       which of her milestones an event sets (pure)
case_index.py  his case reference as a blind index
intake.py      the one intake: store, match, move milestones, audit; the notice-drafting hook
linking.py     her case reference (invitation, her page) and linking held events by hand
tokens.py      per-site bearer tokens, stored hashed
csv_import.py  reading a CSV export line by line
api.py         POST /api/programme-events
cli.py         `liaison programme events import`, `liaison programme token create|revoke|list`
"""
