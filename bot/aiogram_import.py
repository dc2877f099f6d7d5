"""Import aiogram without building its ~440 Telegram models up front.

`aiogram/types/__init__.py` ends by calling `model_rebuild()` on every Telegram type, which builds
a full pydantic validator and serializer for each of them (nested types copied into each one): on
this bot that was ~120 MB of memory and ~2 s of start-up (much more on a Raspberry Pi) for types
the bot never sees. The models are declared with `defer_build=True`, so pydantic can build each
one on first use; what the eager loop adds is the namespace that resolves their forward
references ("Message", "Chat"... imported only for type checkers in each module).

`install()` (called from `bot/__init__.py`, before anything imports aiogram) adds an import hook
that runs `aiogram.types` with `model_rebuild` turned into a recorder, keeps the namespace it was
given, and makes `model_rebuild` of aiogram's models (only theirs) use that namespace when
pydantic builds a model on first use. Nothing else of aiogram changes.

This leans on aiogram's import layout, so the aiogram version is pinned in pyproject.toml and
`tests/bot/telegram/test_aiogram_import.py` fails loudly when an upgrade changes what this relies
on (then check the upstream file again and adjust `SUPPORTED_AIOGRAM`).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

SUPPORTED_AIOGRAM = "3.31.0"
TARGET = "aiogram.types"
METHODS_BASE = "aiogram.methods.base"  # TelegramMethod: its ~170 subclasses built at definition

# the namespace aiogram handed to its eager rebuild loop (set once aiogram.types is imported)
state: dict[str, Any] = {"namespace": None, "deferred": 0}


class _DeferringLoader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader) -> None:
        self.inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        if module.__name__ == METHODS_BASE:
            self.inner.exec_module(module)
            # the methods (SendMessage...) are built on first use too, like the types
            module.TelegramMethod.model_config["defer_build"] = True
            return
        from pydantic import BaseModel

        original = BaseModel.__dict__["model_rebuild"]
        seen: dict[str, Any] = {}

        def record(cls: type[BaseModel], **kwargs: Any) -> None:
            namespace = kwargs.get("_types_namespace")
            if namespace is not None:
                seen["namespace"] = namespace
            state["deferred"] += 1
            return None

        BaseModel.model_rebuild = classmethod(record)  # type: ignore[assignment,method-assign]
        try:
            self.inner.exec_module(module)
        finally:
            BaseModel.model_rebuild = original  # type: ignore[method-assign]
        namespace = seen.get("namespace")
        if namespace is None:  # aiogram no longer rebuilds at import: nothing to defer
            return
        state["namespace"] = dict(namespace)
        _use_namespace_on_first_use(module, state["namespace"])


def _use_namespace_on_first_use(module: ModuleType, namespace: dict[str, Any]) -> None:
    """Every aiogram model (types, methods, `Response[...]`) resolves its forward references in
    `namespace` when pydantic builds it on first use; other models are left as they are."""
    from pydantic import BaseModel

    rebuild = BaseModel.__dict__["model_rebuild"].__func__

    def model_rebuild(
        cls: type[BaseModel],
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> bool | None:
        if _types_namespace is None and cls.__module__.startswith("aiogram."):
            _types_namespace = namespace
        result: bool | None = rebuild(
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth + 1,  # this frame
            _types_namespace=_types_namespace,
        )
        return result

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[assignment,method-assign]


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in (TARGET, METHODS_BASE):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _DeferringLoader(spec.loader)
        return spec


_finder = _Finder()


def install() -> None:
    """Defer the model builds of aiogram.types if it is not imported yet (idempotent)."""
    if TARGET in sys.modules or _finder in sys.meta_path:
        return
    sys.meta_path.insert(0, _finder)
