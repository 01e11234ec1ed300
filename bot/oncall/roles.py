"""The staff roles: who is on call and may take an escalation (here, from an alert) and what each may
do in the console (console/permissions.py builds its table from them)."""

from __future__ import annotations

LIAISON = frozenset({"liaison", "supervisor"})  # a supervisor may do all a liaison worker may
SUPERVISOR = frozenset({"supervisor"})
EVALUATOR = frozenset({"evaluator"})
PROGRAMME = frozenset({"programme"})
ADMIN = frozenset({"admin"})
ANY_STAFF = frozenset({"liaison", "supervisor", "evaluator", "programme", "admin"})
