"""What each role may do: ONE declarative table, route -> roles, enforced for every request by the
console's middleware (console.app) and tested as a matrix (tests/console/test_permissions.py).

A route missing from this table is refused: adding a page means adding its row here.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.oncall.roles import ADMIN, ANY_STAFF, EVALUATOR, LIAISON, PROGRAMME, SUPERVISOR

PUBLIC = frozenset({"*"})  # signed-out pages: sign-in and enrolment

ROUTES: dict[tuple[str, str], frozenset[str]] = {
    # signing in
    ("GET", "/console/sign-in"): PUBLIC,
    ("POST", "/console/sign-in"): PUBLIC,
    ("GET", "/console/enrol/{token}"): PUBLIC,
    ("POST", "/console/enrol/{token}"): PUBLIC,
    ("GET", "/console/static/{name}"): PUBLIC,  # the pages' script and style files (no inline ones)
    ("POST", "/console/sign-out"): ANY_STAFF,
    ("GET", "/console"): ANY_STAFF,  # sends each role to its own first page
    ("GET", "/console/me"): ANY_STAFF,
    ("POST", "/console/me/locale"): ANY_STAFF,  # the console's language for them
    ("POST", "/console/me/telegram-code"): ANY_STAFF,
    ("POST", "/console/me/sms"): ANY_STAFF,
    ("POST", "/console/me/call-number"): LIAISON,  # their own phone, rung before hers (issue 29)
    ("POST", "/console/me/call-number/verify"): LIAISON,
    # the queue
    ("GET", "/console/queue"): LIAISON,
    ("GET", "/console/queue/rows"): LIAISON,
    ("GET", "/console/queue/events"): LIAISON,
    ("GET", "/console/escalations/{id}"): LIAISON,
    ("POST", "/console/escalations/{id}/claim"): LIAISON,
    ("POST", "/console/escalations/{id}/note"): LIAISON,
    ("POST", "/console/escalations/{id}/resolve"): LIAISON,
    ("POST", "/console/escalations/{id}/reassign"): SUPERVISOR,
    # an alert's page: her words (decrypted, audited), notes, and writing to her (issue 28)
    ("GET", "/console/escalations/{id}/events"): LIAISON,
    ("POST", "/console/escalations/{id}/reply"): LIAISON,  # the holder only (bot.live_chat.write)
    ("POST", "/console/escalations/{id}/end-conversation"): LIAISON,
    # her page
    ("GET", "/console/survivors/{pseudonym}"): LIAISON,
    ("POST", "/console/survivors/{pseudonym}/reveal"): LIAISON,
    ("POST", "/console/survivors/{pseudonym}/message"): LIAISON,
    ("POST", "/console/survivors/{pseudonym}/pause"): LIAISON,
    ("POST", "/console/survivors/{pseudonym}/resume"): LIAISON,
    ("POST", "/console/survivors/{pseudonym}/reverify"): LIAISON,
    ("POST", "/console/survivors/{pseudonym}/erase-request"): LIAISON,
    ("POST", "/console/survivors/{pseudonym}/erase-approve"): SUPERVISOR,
    ("POST", "/console/survivors/{pseudonym}/case"): LIAISON,  # his programme's case reference
    ("POST", "/console/survivors/{pseudonym}/duress-pin"): LIAISON,  # set with her during a call, audited
    ("POST", "/console/survivors/{pseudonym}/call"): LIAISON,  # "Call her now": audited, one call at a time
    # programme events held for a person to link (his case reference is shown here, to them only)
    ("GET", "/console/unmatched-events"): LIAISON,
    ("POST", "/console/unmatched-events/{id}/link"): LIAISON,
    ("POST", "/console/unmatched-events/{id}/ignore"): LIAISON,
    # risk notices: review by liaison workers, the second approval of an urgent one by a supervisor
    # (never the programme's staff: a notice is about her)
    ("GET", "/console/notices"): LIAISON,
    ("GET", "/console/notices/{id}"): LIAISON,
    ("POST", "/console/notices/{id}/edit"): LIAISON,
    ("POST", "/console/notices/{id}/approve"): LIAISON,
    ("POST", "/console/notices/{id}/second-approve"): SUPERVISOR,
    ("POST", "/console/notices/{id}/withdraw"): LIAISON,
    # call-backs
    ("GET", "/console/callbacks"): LIAISON,
    ("POST", "/console/callbacks/{id}/outcome"): LIAISON,
    ("POST", "/console/callbacks/{id}/call"): LIAISON,
    # supervisors
    ("GET", "/console/sla"): SUPERVISOR,
    ("GET", "/console/audit"): SUPERVISOR,
    ("GET", "/console/rota"): SUPERVISOR,
    ("POST", "/console/rota"): SUPERVISOR,
    ("POST", "/console/rota/{id}/edit"): SUPERVISOR,
    ("POST", "/console/rota/{id}/remove"): SUPERVISOR,
    # evaluators
    ("GET", "/console/evaluation"): EVALUATOR,
    ("GET", "/console/evaluation/export.zip"): EVALUATOR,
    ("GET", "/console/evaluation/report.html"): EVALUATOR,
    # the programme's staff
    ("GET", "/console/programme"): PROGRAMME,  # the form and the site's own events: nothing of hers
    ("POST", "/console/programme/events"): PROGRAMME,
    # admin
    ("GET", "/console/staff"): ADMIN,
    ("POST", "/console/staff"): ADMIN,
    ("POST", "/console/staff/{id}/clear-slowdown"): ADMIN,  # sign-in slowed by failures: let them in at once
    ("GET", "/console/settings"): ADMIN,
}


def allowed(method: str, path: str, roles: Iterable[str]) -> bool:
    want = ROUTES.get((method, path))
    if want is None:
        return False
    return want is PUBLIC or bool(want & set(roles))


def is_public(method: str, path: str) -> bool:
    return ROUTES.get((method, path)) is PUBLIC
