"""Import aiogram without building its ~700 pydantic models; build only those this channel uses.

Why: `import aiogram` builds a validator and a serializer for every Bot API type and method
(aiogram/aiogram#1513), each holding its whole tree of nested types: about 125 MB resident and
seconds of start-up, of which this channel needs a few percent. aiogram already declares its types
`defer_build=True`, but `aiogram/types/__init__.py` then calls `model_rebuild()` on every one of
them to resolve forward references, which builds them all. During the import only, that call is
answered by giving each type's module the names the rebuild would have used (so a later build
resolves the same references) and leaving the build to the first use; methods are deferred too.
`build_used_models()` then builds, at start, every model the channel sends, receives or
constructs, so a failure shows when the service starts, never on her message.

If aiogram was imported before this module (a test, a tool), nothing is changed: it is then
fully built, as aiogram builds it, and works the same.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from pydantic import BaseModel

# The one list of Bot API methods the channel calls (channel.py, updates.py, polling.py): built at
# start, with what they return. tests/channels/test_telegram_methods.py checks it against the calls.
USED_METHODS = (
    "SendMessage", "EditMessageText", "DeleteMessages", "GetMe", "AnswerCallbackQuery",
    "EditMessageReplyMarkup", "SetWebhook", "DeleteWebhook", "GetUpdates",
)
# the types it validates (webhook updates) or constructs (keyboards, link previews)
USED_TYPES = ("Update", "InlineKeyboardMarkup", "InlineKeyboardButton", "LinkPreviewOptions")


def import_aiogram() -> None:
    """Import aiogram with its models unbuilt; a no-op if aiogram is imported already."""
    if "aiogram" in sys.modules:
        return
    with _types_left_unbuilt(), _methods_deferred():
        import aiogram  # noqa: F401


def build_used_models() -> tuple[type[BaseModel], ...]:
    """Build the validators and serializers the channel needs (cheap when already built).

    Returns the Response[<result type>] classes aiogram reads each answer through. pydantic keeps
    such a parametrised class only while something else refers to it, so after each garbage
    collection the next call built it again (milliseconds of schema building on the event loop, for
    most sends under load: a stall the provider then saw as a burst). The caller holds them."""
    import aiogram.methods
    import aiogram.types
    from aiogram.methods.base import Response

    namespace = _types_namespace()
    for name in USED_TYPES:
        getattr(aiogram.types, name).model_rebuild(_types_namespace=namespace)
    answers = []
    for name in USED_METHODS:
        method = getattr(aiogram.methods, name)
        method.model_rebuild(_types_namespace=namespace)
        # the session validates each answer as Response[<what the method returns>]
        answer = Response[method.__returning__]  # type: ignore[name-defined]
        answer.model_rebuild(_types_namespace=namespace)
        answers.append(answer)
    return tuple(answers)


def _types_namespace() -> dict[str, Any]:
    import aiogram.types

    return {name: getattr(aiogram.types, name) for name in aiogram.types.__all__}


@contextmanager
def _types_left_unbuilt() -> Iterator[None]:
    """While aiogram imports: its rebuild loop records names instead of building deferred types."""
    real = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]

    def record_names(cls: type[BaseModel], *, force: bool = False, raise_errors: bool = True,
                     _parent_namespace_depth: int = 2, _types_namespace: Mapping[str, Any] | None = None,
                     ) -> bool | None:
        if (_types_namespace is not None and not force and not cls.__pydantic_complete__
                and cls.__module__.startswith("aiogram.") and cls.model_config.get("defer_build")):
            module_globals = sys.modules[cls.__module__].__dict__
            for name, value in _types_namespace.items():
                module_globals.setdefault(name, value)  # what the module imported only for type checkers
            return None
        return real(cls, force=force, raise_errors=raise_errors, _parent_namespace_depth=_parent_namespace_depth + 1,
                    _types_namespace=_types_namespace)

    BaseModel.model_rebuild = classmethod(record_names)  # type: ignore[assignment, method-assign]
    try:
        yield
    finally:
        BaseModel.model_rebuild = classmethod(real)  # type: ignore[assignment, method-assign]


class _DeferMethods(importlib.abc.MetaPathFinder):
    """Sets `defer_build` on aiogram's TelegramMethod base as soon as its module has run, so the
    ~170 method models defined after it are built on first use too."""

    TARGET = "aiogram.methods.base"

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None,
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            module.TelegramMethod.model_config["defer_build"] = True

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


@contextmanager
def _methods_deferred() -> Iterator[None]:
    finder = _DeferMethods()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
