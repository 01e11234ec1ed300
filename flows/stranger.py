"""Anyone we do not know gets one neutral reply that reveals nothing about the service."""

from __future__ import annotations

from flows.types import FlowResult, Say, UserInput


def reply_to_stranger(event: UserInput) -> FlowResult:
    return FlowResult(state={}, says=[Say("stranger.neutral")])
