"""Her conversation state, typed and versioned (stored encrypted in survivors.state as its JSON dump).

  version                 the shape's version; `load_state` upgrades older shapes, one step per version
  flow, step, data        where she is in which flow, and that flow's own typed values (`data`, one small
                          model per flow that keeps any: PinData, CallbackData, ConsentData, InfoData)
  options                 payloads of the last options shown, so "2" maps back on SMS (None: not recorded)
  touched                 when the state last changed, for the half-finished-flow timeout
  unlocked_until          until when sensitive content is shown without asking for her PIN
  pin_failures, pin_locked_until    the wrong-PIN limit
  exit_word               her own quick-exit word
  checkin                 her place in her open check-in (wave instance, stage, item, raised rank, child flag)
  settings                her conversation-only settings (the SMS pause after a quick exit)
  route_checked_at, route_check_queued_at    the periodic re-check of her contact route

Loading never fails: an unknown or damaged value is dropped (a damaged flow or its data sends her
back to the menu), so a bad row costs her a step, never the reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from flows.windows import Window

STATE_VERSION = 1
Stored = dict[str, Any]  # the JSON as stored in survivors.state, before load_state types it

FlowName = Literal["onboarding", "consent", "pin", "menu", "info", "callback", "settings", "erase",
                   "danger_check", "stopped", "declined", "erased"]
CheckinStage = Literal["invited", "asking", "paused", "done"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# -- each flow's own values ------------------------------------------------------------------------

class NoData(_Frozen):
    kind: Literal["none"] = "none"


class PinData(_Frozen):
    """Asking for her PIN (`then`: what it opens), or choosing one (`pending`: the hash to confirm)."""

    kind: Literal["pin"] = "pin"
    then: str | None = None
    purpose: Literal["onboarding", "settings"] | None = None
    target: Literal["main", "duress"] = "main"
    main_hash: str | None = None  # onboarding: the main PIN's hash, so the duress PIN differs
    pending: str | None = None


class CallbackData(_Frozen):
    kind: Literal["callback"] = "callback"
    windows: tuple[Window, ...] = ()
    phone: str | None = None


class ConsentData(_Frozen):
    kind: Literal["consent"] = "consent"
    granted: dict[str, bool] = Field(default_factory=dict)


class InfoData(_Frozen):
    kind: Literal["info"] = "info"
    sms_ok: bool = False


FlowData = Annotated[NoData | PinData | CallbackData | ConsentData | InfoData, Field(discriminator="kind")]
DATA_OF: dict[str, type[BaseModel]] = {"pin": PinData, "callback": CallbackData, "consent": ConsentData,
                                       "info": InfoData}


class CheckinPosition(_Frozen):
    """Her place in one opening of one wave: a new opening (or the same wave offered again) starts over."""

    instance_id: int
    opened_at: AwareDatetime | None = None
    stage: CheckinStage = "invited"
    item: str | None = None
    raised: int = 0  # safety.triage rank already raised from this answer set
    child: bool = False  # child protection already raised


class ConversationSettings(_Frozen):
    sms_pause_hours: int | None = None


class FlowState(_Frozen):
    version: int = STATE_VERSION
    flow: FlowName | None = None
    step: str | None = None
    data: FlowData = Field(default_factory=NoData)
    options: tuple[str, ...] | None = None
    touched: AwareDatetime | None = None
    unlocked_until: AwareDatetime | None = None
    pin_failures: int = 0
    pin_locked_until: AwareDatetime | None = None
    exit_word: str | None = None
    checkin: CheckinPosition | None = None
    settings: ConversationSettings = Field(default_factory=ConversationSettings)
    route_checked_at: AwareDatetime | None = None
    route_check_queued_at: AwareDatetime | None = None
    quiet_until: AwareDatetime | None = None  # after quick exit in a chat: routine messages wait for her

    def but(self, **changes: Any) -> FlowState:
        """A copy with these fields changed (validated: a wrong type is a bug, caught here)."""
        return FlowState.model_validate({**dict(self), **changes})

    def dump(self) -> Stored:
        """What is stored: JSON, without the empty fields."""
        return self.model_dump(mode="json", exclude_none=True)


D = TypeVar("D", bound=BaseModel)


def data_as(state: FlowState, kind: type[D]) -> D:
    """Her flow's values as that flow's model (its defaults when she is elsewhere)."""
    return state.data if isinstance(state.data, kind) else kind()


# -- loading any stored shape ------------------------------------------------------------------------

def _from_v0(raw: Stored) -> Stored:
    """Version 0 (before versions): the same names; `data` untagged; `options` absent until shown."""
    new = dict(raw)
    data = new.get("data")
    kind = DATA_OF.get(str(new.get("flow")))
    if kind is not None and data is not None and not isinstance(data, Mapping):
        new.update(flow="menu", step="main")  # her flow's values are damaged: back to the menu
        kind = None
    new["data"] = {**data, "kind": kind.model_fields["kind"].default} if kind and isinstance(data, Mapping) \
        else {"kind": "none"}
    new["version"] = 1
    return new


UPGRADES: dict[int, Callable[[Stored], Stored]] = {0: _from_v0}


def load_state(raw: object) -> FlowState:
    """Any stored state, of any version, as today's FlowState. Tolerant: garbage gives the menu."""
    if isinstance(raw, FlowState):
        return raw
    if raw is None:
        return FlowState()  # nothing stored yet
    if not isinstance(raw, Mapping):
        return FlowState(flow="menu", step="main")
    shape = dict(raw)
    version = shape.get("version", 0)
    if not isinstance(version, int) or version > STATE_VERSION or version < 0:
        return FlowState(flow="menu", step="main")
    while version < STATE_VERSION:
        shape = UPGRADES[version](shape)
        version = shape["version"] = version + 1
    return _tolerant(shape)


def _tolerant(shape: Stored) -> FlowState:
    """Validate, dropping each damaged field; a damaged flow, step or data sends her to the menu."""
    for _ in range(len(FlowState.model_fields) + 1):
        try:
            return FlowState.model_validate(shape)
        except ValidationError as err:
            bad = {str(e["loc"][0]) for e in err.errors() if e["loc"]}
            if not bad or not bad.isdisjoint({"flow", "step", "data"}):
                shape = {k: v for k, v in shape.items() if k not in ("flow", "step", "data")}
                shape.update(flow="menu", step="main")
            shape = {k: v for k, v in shape.items() if k not in bad - {"flow", "step"}}
    return FlowState(flow="menu", step="main")
