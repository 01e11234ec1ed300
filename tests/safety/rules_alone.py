"""The danger decision with the model left out (parse None): what the explicit rules alone do with a line."""

from safety.danger_decision import DangerDecision, decide
from safety.danger_net import detect_danger


def rules_alone(text: str, locale: str = "en") -> DangerDecision:
    return decide(text, None, detect_danger(text, locale))
