"""survivors.state: the typed, versioned conversation state (flows/flow_state.py, version 1)

Each stored state (encrypted JSON) is rewritten to version 1: `version` set, each flow's values
tagged with their kind. Her place in an open check-in moves from wave_instances.progress into her
state (`checkin`); the instance keeps only the scheduler's own marker (`offered_again`). The
service reads older shapes too (flows.flow_state.load_state), so this is tidiness, not a condition
of start-up. Rows are read and written with the service's key file (LIAISON_KEY_FILE), as 0005
does; with no states to rewrite, no key file is needed.

Revision ID: 0011
Revises: 0013
Create Date: 2026-12-01 02:00:00
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0013"
branch_labels = None
depends_on = None

# the shapes as they were when this migration was written (a migration never imports moving code)
DATA_KINDS = {"pin": "pin", "callback": "callback", "consent": "consent", "info": "info"}
POSITION = ("stage", "item", "raised", "child")
OPEN_STATES = ("sent", "reminded")

survivors = sa.table("survivors", sa.column("id", sa.Integer), sa.column("state", sa.Text))
waves = sa.table("wave_instances", sa.column("id", sa.Integer), sa.column("survivor_id", sa.Integer),
                 sa.column("state", sa.String), sa.column("sent_at", sa.DateTime(timezone=True)),
                 sa.column("due_at", sa.DateTime(timezone=True)), sa.column("closes_at", sa.DateTime(timezone=True)),
                 sa.column("progress", sa.JSON))


def _ring() -> Any:
    from bot.settings import load_settings
    from safety.crypto import KeyRing

    return KeyRing.load(load_settings().key_file)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()


def _open_positions(bind: Any) -> dict[int, tuple[int, dict[str, Any], Any]]:
    """Her open wave (the latest due) with a position in progress: survivor -> (instance, progress, sent_at)."""
    rows = bind.execute(sa.select(waves.c.id, waves.c.survivor_id, waves.c.progress, waves.c.sent_at)
                        .where(waves.c.state.in_(OPEN_STATES)).order_by(waves.c.due_at)).all()
    return {sid: (iid, dict(progress or {}), sent_at) for iid, sid, progress, sent_at in rows}


def _upgraded(state: dict[str, Any], position: tuple[int, dict[str, Any], Any] | None) -> dict[str, Any]:
    if state.get("version") == 1:
        return state
    new = dict(state)
    data, kind = new.get("data"), DATA_KINDS.get(str(new.get("flow")))
    new["data"] = {**data, "kind": kind} if kind and isinstance(data, dict) else {"kind": "none"}
    new["version"] = 1
    if position is not None and "checkin" not in new:
        instance_id, progress, sent_at = position
        if progress.get("stage", "invited") != "invited":
            new["checkin"] = {"instance_id": instance_id, "opened_at": _iso(sent_at),
                              **{k: progress[k] for k in POSITION if k in progress}}
    return new


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(survivors.c.id, survivors.c.state)
                        .where(survivors.c.state.like("enc1:%"))).all()
    if rows:
        ring, positions = _ring(), _open_positions(bind)
        for sid, stored in rows:
            state = json.loads(ring.decrypt(stored))
            if not isinstance(state, dict):
                continue  # not a state the service wrote: load_state gives her the menu
            new = _upgraded(state, positions.get(sid))
            if new != state:
                bind.execute(survivors.update().where(survivors.c.id == sid)
                             .values(state=ring.encrypt(json.dumps(new, sort_keys=True))))
    for iid, progress in bind.execute(sa.select(waves.c.id, waves.c.progress)).all():
        if isinstance(progress, dict) and any(k in progress for k in POSITION):
            kept = {k: v for k, v in progress.items() if k not in POSITION}
            bind.execute(waves.update().where(waves.c.id == iid).values(progress=kept))


def downgrade() -> None:
    """Back to untagged states, her check-in position back into its wave instance."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(survivors.c.id, survivors.c.state)
                        .where(survivors.c.state.like("enc1:%"))).all()
    if not rows:
        return
    ring = _ring()
    for sid, stored in rows:
        state = json.loads(ring.decrypt(stored))
        if not isinstance(state, dict) or state.get("version") != 1:
            continue
        old = {k: v for k, v in state.items() if k not in ("version", "checkin")}
        data = old.get("data")
        old["data"] = {k: v for k, v in data.items() if k != "kind"} if isinstance(data, dict) else {}
        position = state.get("checkin")
        if isinstance(position, dict) and isinstance(position.get("instance_id"), int):
            progress = bind.execute(sa.select(waves.c.progress)
                                    .where(waves.c.id == position["instance_id"])).scalar()
            restored = {**dict(progress or {}), **{k: position[k] for k in POSITION if k in position}}
            bind.execute(waves.update().where(waves.c.id == position["instance_id"]).values(progress=restored))
        bind.execute(survivors.update().where(survivors.c.id == sid)
                     .values(state=ring.encrypt(json.dumps(old, sort_keys=True))))
