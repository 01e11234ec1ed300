"""Every console route x every role, plus signed out: the permissions table is what the service
enforces. Signed out -> 302 to the sign-in page; a role the table does not list -> 403; a role it
lists gets past the guard (the page, a redirect after a POST, or 404 for a record that is not there)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from yarl import URL

from bot.clock import ManualClock
from console.pages import CSRF_COOKIE, SIGN_IN
from console.permissions import PUBLIC, ROUTES
from console.staff.accounts import ROLES
from tests.support.console import ConsoleClient, console_service, make_staff
from tests.support.http import serve_app

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
PARAMS = {"{id}": "999", "{pseudonym}": "nobody", "{token}": "not-a-token", "{name}": "console.css"}
# sign-out ends the session the rest of the matrix uses: it goes last
ORDERED = sorted(ROUTES, key=lambda r: (r[1] == "/console/sign-out", r))


def concrete(path: str) -> str:
    for name, value in PARAMS.items():
        path = path.replace(name, value)
    return path


path_of = {concrete(p): p for _m, p in ROUTES}


async def request(client: ConsoleClient, method: str, path: str) -> tuple[int, str]:
    if method == "GET":
        async with client.http.get(client.base + path, allow_redirects=False) as r:
            return r.status, r.headers.get("Location", "")
    csrf = None
    if ROUTES[(method, path_of[path])] is PUBLIC:  # a signed-out form carries the token of its cookie
        await client.get("/console/sign-in")
        jar = client.http.cookie_jar.filter_cookies(URL(client.base + "/console/sign-in"))
        csrf = jar[CSRF_COOKIE].value
    status, _body, location = await client.post(path, csrf=csrf)
    return status, location


async def test_every_route_for_every_role_matches_the_permissions_table(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console_service(settings_env, keyring, clock)
    checked = 0
    async with serve_app(svc.web_app()) as base:
        clients: dict[str, ConsoleClient] = {"signed out": ConsoleClient(base)}
        try:
            for role in ROLES:
                login = await make_staff(svc, f"{role}-person", [role])
                clients[role] = ConsoleClient(base)
                assert await clients[role].sign_in(login, clock()) == 303
            for method, path in ORDERED:
                want = ROUTES[(method, path)]
                for who, client in clients.items():
                    status, location = await request(client, method, concrete(path))
                    checked += 1
                    where = f"{method} {path} as {who}: {status}"
                    if want is PUBLIC:
                        assert status not in (302, 403, 500), where
                    elif who == "signed out":
                        assert status == 302 and location == SIGN_IN, where
                    elif who in want:
                        assert status not in (403, 405, 500) and not (status == 302 and location == SIGN_IN), where
                    else:
                        assert status == 403, where
        finally:
            for client in clients.values():
                await client.close()
            await svc.stop()
    assert checked == len(ROUTES) * (len(ROLES) + 1)


@pytest.mark.parametrize("role", ["evaluator", "programme", "admin"])
async def test_roles_without_survivor_access_never_see_her_page(settings_env, keyring, role) -> None:
    svc = console_service(settings_env, keyring, ManualClock(NOW))
    async with serve_app(svc.web_app()) as base:
        client = ConsoleClient(base)
        try:
            login = await make_staff(svc, "someone", [role])
            assert await client.sign_in(login, NOW) == 303
            for path in ("/console/queue", "/console/survivors/nobody", "/console/callbacks", "/console/audit",
                         "/console/unmatched-events", "/console/notices", "/console/notices/999"):
                status, _body, _loc = await client.get(path)
                assert status == 403, path
        finally:
            await client.close()
            await svc.stop()


def test_the_programme_role_reaches_only_its_own_form_and_account() -> None:
    """Nothing of hers is one route away: widening this set is a decision, not an accident."""
    reachable = {route for route, roles in ROUTES.items() if roles is not PUBLIC and "programme" in roles}
    assert reachable == {
        ("GET", "/console"), ("POST", "/console/sign-out"), ("GET", "/console/me"),
        ("POST", "/console/me/locale"), ("POST", "/console/me/telegram-code"), ("POST", "/console/me/sms"),
        ("GET", "/console/programme"), ("POST", "/console/programme/events"),
    }


def test_programme_events_routes_are_in_the_table_for_the_right_roles() -> None:
    assert ROUTES[("POST", "/console/programme/events")] == frozenset({"programme"})
    for route in (("GET", "/console/unmatched-events"), ("POST", "/console/unmatched-events/{id}/link"),
                  ("POST", "/console/unmatched-events/{id}/ignore"), ("POST", "/console/survivors/{pseudonym}/case")):
        assert ROUTES[route] == frozenset({"liaison", "supervisor"}), route


@pytest.mark.parametrize("role", ["programme", "evaluator", "admin"])
async def test_a_notice_to_her_is_never_shown_to_a_role_without_survivor_access(settings_env, keyring,
                                                                               role) -> None:
    """A real notice exists: the programme's staff (who report the events) never read what she is told,
    nor can they approve it; liaison workers can, and only a supervisor gives a second approval."""
    from tests.support.notices import drafted
    from tests.support.people import enrolled

    svc = console_service(settings_env, keyring, ManualClock(NOW))
    async with serve_app(svc.web_app()) as base:
        outsider, worker = ConsoleClient(base), ConsoleClient(base)
        try:
            sid, _ = await enrolled(svc.db, keyring, channel="sms", address="+447700900431", pseudonym="ps-noticed")
            made = await drafted(svc, sid, "risk_raised")
            assert made is not None
            assert await outsider.sign_in(await make_staff(svc, "outsider", [role]), NOW) == 303
            assert await worker.sign_in(await make_staff(svc, "liaison-person", ["liaison"]), NOW) == 303
            for path in ("/console/notices", f"/console/notices/{made.id}"):
                status, body, _loc = await outsider.get(path)
                assert status == 403 and "ps-noticed" not in body and "higher than before" not in body, path
            for action in ("edit", "approve", "second-approve", "withdraw"):
                status, _body, _loc = await outsider.post(f"/console/notices/{made.id}/{action}", {"body": "x"})
                assert status == 403, action
            status, body, _loc = await worker.get(f"/console/notices/{made.id}")
            assert status == 200 and "ps-noticed" in body and "higher than before" in body
            status, _body, _loc = await worker.post(f"/console/notices/{made.id}/second-approve")
            assert status == 403  # the second approval is a supervisor's
        finally:
            await outsider.close()
            await worker.close()
            await svc.stop()


def test_calling_her_and_the_phone_that_is_rung_first_are_for_liaison_workers_and_supervisors_only() -> None:
    from bot.oncall.roles import LIAISON

    for route in [("POST", "/console/survivors/{pseudonym}/call"), ("POST", "/console/callbacks/{id}/call"),
                  ("POST", "/console/me/call-number"), ("POST", "/console/me/call-number/verify")]:
        assert ROUTES[route] == LIAISON, route
