"""``liaison nlu``: train, parse and evaluate from the command line.

Added to ``liaison`` by liaison/cli.py, which gives it the cache directory and the Rasa server of the
service's settings (NLU_CACHE_DIR, RASA_URL) as defaults; usable on its own too. It reads no environment.
Evaluation output may print test-file texts (they are authored test data, not messages).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from nlu import NLU_DIR, SUPPORTED_LOCALES

LOCALE_CHOICE = click.Choice(list(SUPPORTED_LOCALES))


@click.group("nlu")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="var/nlu-cache",
    show_default=True,
    help="Where trained embedded models are cached (keyed by the training data's hash).",
)
@click.pass_context
def nlu_group(ctx: click.Context, cache_dir: Path) -> None:
    """Free-text understanding: Rasa-format data, embedded classifier, Rasa option."""
    ctx.obj = {"cache_dir": cache_dir}


@nlu_group.command()
@click.option("--locale", type=click.Choice([*SUPPORTED_LOCALES, "all"]), default="all", show_default=True)
@click.option("--force", is_flag=True, help="Retrain even when a cached model for this data exists.")
@click.pass_context
def train(ctx: click.Context, locale: str, force: bool) -> None:
    """Train (or load from cache) the embedded model for one or all locales."""
    from nlu.classifier import cache_key, load_or_train

    cache_dir: Path = ctx.obj["cache_dir"]
    for loc in SUPPORTED_LOCALES if locale == "all" else (locale,):
        data_dir = NLU_DIR / loc
        if force:
            for old in cache_dir.glob(f"{loc}-{cache_key(data_dir)}.pkl"):
                old.unlink()
        started = time.perf_counter()
        model, trained = load_or_train(loc, data_dir, cache_dir)
        elapsed = time.perf_counter() - started
        how = "trained" if trained else "loaded from cache"
        click.echo(f"{loc}: {len(model.labels)} intents, {how} in {elapsed:.2f}s (cache: {cache_dir})")


@nlu_group.command()
@click.argument("text")
@click.option("--locale", type=LOCALE_CHOICE, default="en", show_default=True)
@click.option(
    "--rasa-url", default=None,
    help="Parse through this Rasa server instead (falls back on error). Default: the settings' RASA_URL.",
)
@click.option("--explain", is_flag=True, help="Also show the danger net's signal, the danger decision and what the "
                                               "service does with it (the flows' policy, flows/fallback.py).")
@click.pass_context
def parse(ctx: click.Context, text: str, locale: str, rasa_url: str | None, explain: bool) -> None:
    """Print the Rasa-shaped parse JSON of TEXT."""
    from nlu.service import NluService

    async def run() -> dict[str, Any]:
        async with NluService(ctx.obj["cache_dir"], rasa_url=rasa_url) as service:
            if not explain:
                return await service.parse(text, locale)
            u = await service.understand(text, locale)
            danger = None if u.danger is None else {"rule": u.danger.rule, "locale": u.danger.locale}
            decision = None if u.decision is None else {
                "action": u.decision.action, "score": round(u.decision.score, 3), "reason": u.decision.reason}
            return {"parse": u.parse, "danger": danger, "decision": decision, "flow_intent": u.flow_intent,
                    "policy": what_the_flows_do(u.flow_intent, locale)}

    click.echo(json.dumps(asyncio.run(run()), ensure_ascii=False, indent=2))


def what_the_flows_do(intent: str | None, locale: str) -> dict[str, list[str]]:
    """The production policy for free text no flow understood (flows.fallback.understand), run for an
    enrolled survivor at her menu: the message keys she would get and the effects, by name."""
    from flows.capabilities import ChannelCapabilities
    from flows.fallback import understand
    from flows.flow_state import FlowState
    from flows.types import Context, Profile

    her = Profile(status="active", locale=locale, country="GB", timezone="Europe/London", persona=None,
                  plain_mode=False, contact_windows=[], expiry_minutes=60, unlock_minutes=10, has_pin=True,
                  consents={"information": True, "checkins": True, "evaluation": True})
    # on a chat app (buttons, deletable messages), as in the simulator; nlu sits below the channels
    chat = ChannelCapabilities(deletes_messages=True, exit="delete_chat", inline_buttons=True, edits=True,
                               max_length=4096, preview_chars=100, provider_rate=30.0)
    done = understand(intent, FlowState(flow="menu", step="main"),
                      Context(now=datetime.now(UTC), channel="simulator", caps=chat, profile=her), reprompt=[])
    return {"says": [say.key for say in done.says], "effects": [type(e).__name__ for e in done.effects]}


@nlu_group.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=True, path_type=Path))
@click.option("--locale", type=LOCALE_CHOICE, default="en", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of the text report.")
@click.option(
    "--rasa-url", default=None,
    help="Evaluate a Rasa server on the same file instead. Default: the settings' RASA_URL.",
)
@click.option("--embedded", is_flag=True, help="Evaluate the embedded classifier even when RASA_URL is set.")
@click.option("--fail-under", type=float, default=None, help="Exit 1 if macro F1 is below this.")
@click.pass_context
def evaluate(
    ctx: click.Context, file: Path, locale: str, as_json: bool, rasa_url: str | None, embedded: bool,
    fail_under: float | None,
) -> None:
    """Evaluate on FILE (Rasa YAML test data): per-intent P/R/F1, averages, confusions, danger recall."""
    from nlu.data import TrainingDataError, load_training_data
    from nlu.evaluate import evaluate as run_evaluation
    from nlu.evaluate import format_report

    try:
        examples = load_training_data(file).examples
    except TrainingDataError as exc:
        raise click.ClickException(str(exc)) from None
    if not examples:
        raise click.ClickException(f"{file}: no intent examples")
    texts = [e.text for e in examples]
    if embedded:
        rasa_url = None
    if rasa_url:
        parses = asyncio.run(_rasa_parses(rasa_url, texts, locale))
    else:
        from nlu.classifier import load_or_train

        model, _ = load_or_train(locale, NLU_DIR / locale, ctx.obj["cache_dir"])
        parses = model.parse_many(texts)
    report = run_evaluation(examples, parses, locale)
    report["backend"] = "rasa" if rasa_url else "embedded"
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report))
    if fail_under is not None and report["macro_f1"] < fail_under:
        click.echo(f"macro F1 {report['macro_f1']:.3f} is below {fail_under}", err=True)
        sys.exit(1)


@nlu_group.command("rasa-data")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--locale", type=LOCALE_CHOICE, required=True)
def rasa_data(out: Path, locale: str) -> None:
    """Copy the locale's training files (never its test/ folder) into OUT, for `rasa train nlu --nlu OUT`.

    Rasa reads a folder recursively, test/ included; this copy is what both trainers must see."""
    import shutil

    from nlu.data import training_files

    source = NLU_DIR / locale
    out.mkdir(parents=True, exist_ok=True)
    for file in training_files(source):
        target = out / file.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)
        click.echo(str(target))


async def _rasa_parses(url: str, texts: list[str], locale: str) -> list[dict[str, Any]]:
    from nlu.rasa_client import RasaClient, RasaError

    client = RasaClient(url, timeout=10.0)
    try:
        out = []
        for t in texts:
            try:
                out.append(await client.parse(t, locale))
            except RasaError as exc:
                raise click.ClickException(f"Rasa server at {url} failed: {exc}") from None
        return out
    finally:
        await client.close()
