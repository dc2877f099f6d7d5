"""Every text the owner reads comes from bot.texts, complete in both languages.

Three nets, each able to fail:

1. The catalogues: every key (the core catalogues and every command family's module listed in
   bot/texts/families.py — a family added later is covered without touching this file) exists in
   Russian and English with the same placeholders; a family's keys carry its prefix; a module in
   bot/texts that defines EN/RU but is missing from FAMILIES is caught.
2. The keys used in code: every literal key passed to `texts(...)` anywhere in bot/ exists in
   both languages (an f-string key such as `texts(f"kind.{kind}")` needs some key with its prefix).
3. No prose outside bot/texts: an AST scan of bot/telegram, bot/console.py and bot/engine finds
   every call that reaches the owner — `outbox.send`, `query.answer`, `message.answer/reply`,
   `edit_text`, `bot.send_message`, the console's `say`, and `print` to stdout — and fails when
   its text is a string literal, an f-string, a `%`/`+`/`.format` of a literal with words in it,
   or a local variable assigned such an expression in the same function. A regression such as
   `outbox.send(chat_id, f"Stopping {what}…")` or `self.say("Stopping every task…")` is caught
   (test_the_scanner_catches_prose_built_outside_the_texts proves the scanner sees each form).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

import bot.texts
from bot.texts import CATALOGUES, en, ru
from bot.texts.families import FAMILIES

BOT = Path(bot.texts.__file__).resolve().parents[1]
SCANNED = [BOT / "telegram", BOT / "console.py", BOT / "engine"]
# files that are transports or test doubles, not places where the owner's texts are written
NOT_OWNER_FACING = {BOT / "telegram" / "fake_session.py"}

# method names whose text argument reaches the owner's chat (or the console's screen)
SINKS = {
    "send",
    "answer",
    "reply",
    "say",
    "edit_text",
    "send_message",
    "edit_message_text",
    "answer_document",
    "send_document",
}
# which argument holds the text: positional index per sink (default 0), or keyword
TEXT_POSITION = {"send": 1, "send_message": 1}
TEXT_KEYWORDS = {"text", "caption"}
WORDS = re.compile(r"[A-Za-zА-Яа-яЁё]{2,}")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# -- 1. the catalogues -------------------------------------------------------------------------


def test_every_key_exists_in_both_languages_with_the_same_placeholders() -> None:
    ru_all, en_all = CATALOGUES["ru"], CATALOGUES["en"]
    assert set(ru_all) == set(en_all), sorted(set(ru_all) ^ set(en_all))
    for key in ru_all:
        assert placeholders(ru_all[key]) == placeholders(en_all[key]), key


@pytest.mark.parametrize("family", FAMILIES, ids=lambda module: module.__name__)
def test_each_family_module_is_complete_and_prefixed(family: object) -> None:
    name = getattr(family, "__name__", "").rsplit(".", 1)[-1]
    family_en: dict[str, str] = getattr(family, "EN")  # noqa: B009
    family_ru: dict[str, str] = getattr(family, "RU")  # noqa: B009
    assert set(family_en) == set(family_ru), sorted(set(family_en) ^ set(family_ru))
    # a family's own texts carry its prefix; its commands' menu lines are `menu.<command>`
    wrong = [key for key in family_en if not key.startswith((f"{name}.", "menu."))]
    assert not wrong, f"keys of bot/texts/{name}.py must start with '{name}.': {wrong}"
    for key in family_en:
        assert placeholders(family_en[key]) == placeholders(family_ru[key]), key
        assert CATALOGUES["en"][key] == family_en[key] and CATALOGUES["ru"][key] == family_ru[key]


def text_modules() -> Iterator[str]:
    for info in pkgutil.iter_modules(bot.texts.__path__):
        yield f"bot.texts.{info.name}"


def test_every_text_module_with_en_and_ru_is_listed_in_families() -> None:
    listed = {module.__name__ for module in FAMILIES}
    for name in text_modules():
        module = importlib.import_module(name)
        if module in (en, ru):
            continue
        if hasattr(module, "EN") and hasattr(module, "RU"):
            assert name in listed, f"{name} defines EN/RU but is not in FAMILIES"


# English words that must not stand in a Russian text (placeholders and commands aside)
ENGLISH_WORDS = {
    "the", "and", "of", "to", "is", "for", "sell", "buy", "task", "tasks", "order", "orders",
    "broker", "pcs", "piece", "pieces", "stopping", "running", "started", "failed", "done",
    "stopped", "every", "waiting", "lot", "lots", "spread", "not",
}  # fmt: skip


def prose(template: str) -> str:
    """A template without placeholders, /commands, tickers-like CAPS and code names."""
    text = re.sub(r"\{[^{}]*\}", " ", template)
    text = re.sub(r"/[a-z_]+", " ", text)
    return re.sub(r"\b[A-Z][A-Z0-9_-]+\b", " ", text)


def test_no_untranslated_or_mixed_text() -> None:
    for key, template in CATALOGUES["en"].items():
        assert not CYRILLIC.search(template), f"Cyrillic in the English text {key}: {template!r}"
    for key, template in CATALOGUES["ru"].items():
        words = {word.lower() for word in WORDS.findall(prose(template))}
        english = words & ENGLISH_WORDS
        assert not english, f"English words {sorted(english)} in the Russian text {key}"
        if WORDS.search(prose(template)):
            assert CYRILLIC.search(template), f"the Russian text {key} is not translated"


# -- 2. keys used in code ------------------------------------------------------------------------


def python_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if p not in NOT_OWNER_FACING)
        elif path not in NOT_OWNER_FACING:
            yield path


def texts_calls(tree: ast.AST) -> Iterator[ast.expr]:
    """First arguments of calls named `texts(...)` / `self.texts(...)`."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name == "texts":
            yield node.args[0]


def test_every_key_used_in_code_exists_in_both_languages() -> None:
    missing: list[str] = []
    seen = 0
    for path in python_files([BOT]):
        for key in texts_calls(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                seen += 1
                for language, catalogue in CATALOGUES.items():
                    if key.value not in catalogue:
                        missing.append(f"{path.relative_to(BOT.parent)}: {key.value} ({language})")
            elif isinstance(key, ast.JoinedStr) and isinstance(key.values[0], ast.Constant):
                prefix = str(key.values[0].value)
                for language, catalogue in CATALOGUES.items():
                    if not any(k.startswith(prefix) for k in catalogue):
                        missing.append(f"{path.relative_to(BOT.parent)}: {prefix}* ({language})")
    assert seen > 50  # the scanner still sees the calls
    assert not missing, missing


# -- 3. no prose built outside bot/texts ---------------------------------------------------------


def has_words(node: ast.AST) -> bool:
    """An expression that writes words itself (rather than taking them from the texts)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(WORDS.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(has_words(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return has_words(node.left) or has_words(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "format":
            return has_words(node.func.value)
        if node.func.attr == "join":  # "\n".join([...literal lines...])
            return any(has_words(arg) for arg in node.args) or any(
                has_words(element)
                for arg in node.args
                if isinstance(arg, ast.List | ast.Tuple)
                for element in arg.elts
            )
    if isinstance(node, ast.IfExp):
        return has_words(node.body) or has_words(node.orelse)
    return False


def sink_text(call: ast.Call) -> ast.expr | None:
    """The argument of an owner-facing call that holds the text, if this call is one."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "print":
        to_stderr = any(keyword.arg == "file" for keyword in call.keywords)
        return None if to_stderr or not call.args else call.args[0]
    if not isinstance(func, ast.Attribute) or func.attr not in SINKS:
        return None
    for keyword in call.keywords:
        if keyword.arg in TEXT_KEYWORDS:
            return keyword.value
    position = TEXT_POSITION.get(func.attr, 0)
    return call.args[position] if len(call.args) > position else None


def prose_sent_to_the_owner(source: str) -> list[tuple[int, str]]:
    """(line, code) of each owner-facing call whose text is written in place."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    scopes = [
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    for scope in [tree, *scopes]:
        written: set[str] = set()  # local names assigned an expression with words
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if has_words(node.value):
                    written.update(t.id for t in targets if isinstance(t, ast.Name))
        for node in ast.walk(scope):
            if not isinstance(node, ast.Call):
                continue
            text = sink_text(node)
            if text is None:
                continue
            if has_words(text) or (isinstance(text, ast.Name) and text.id in written):
                found.append((node.lineno, ast.unparse(node)))
    return sorted(set(found))


def test_no_owner_facing_string_is_built_outside_the_texts_module() -> None:
    offences: list[str] = []
    files = list(python_files(SCANNED))
    assert len(files) > 20  # the scan still covers the Telegram layer, console and engine
    for path in files:
        for line, code in prose_sent_to_the_owner(path.read_text(encoding="utf-8")):
            offences.append(f"{path.relative_to(BOT.parent)}:{line}: {code}")
    assert not offences, "owner-facing text written outside bot/texts:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    "source",
    [
        'outbox.send(chat_id, "Stopping every task…")',
        'outbox.send(chat_id, f"Stopping {what}…")',
        'outbox.send(chat_id, "Stopped: %d" % count)',
        'outbox.send(chat_id, "Stopped: " + str(count))',
        'outbox.send(chat_id, "Stopped: {}".format(count))',
        'outbox.send(chat_id=chat_id, text="Остановлено")',
        'self.say("Stopping every task…")',
        'print(f"End of input: waiting for {n} task(s)")',
        'await query.answer("Stopping")',
        'await message.answer(f"#{job} stopped")',
        'await bot.send_message(chat_id, "Hello")',
        "def handler():\n    text = f'Stopping {what}'\n    outbox.send(chat_id, text)",
        'outbox.send(chat_id, "\\n".join(["Stopped", texts("stop.none")]))',
        'outbox.send(chat_id, "a" if ok else "Nothing to stop")',
    ],
)
def test_the_scanner_catches_prose_built_outside_the_texts(source: str) -> None:
    assert prose_sent_to_the_owner(source), source


@pytest.mark.parametrize(
    "source",
    [
        'outbox.send(chat_id, texts("stop.none"))',
        'outbox.send(chat_id, texts("stop.started", what=texts("stop.what_all")))',
        'self.say(f"» {text}")',
        'outbox.send(chat_id, "\\n".join(lines))',
        'print(f"trademan: {exc}", file=sys.stderr)',
        "await query.answer()",
    ],
)
def test_the_scanner_lets_texts_from_the_catalogue_through(source: str) -> None:
    assert prose_sent_to_the_owner(source) == []
