"""Russian and English: the admin and the API speak the request's language (ru by default)."""

from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from trademan.base.models import Instrument
from trademan.base.services import tasks

LOCALE = Path(__file__).resolve().parents[2] / "trademan" / "locale" / "ru" / "LC_MESSAGES"


def po_msgids() -> set[str]:
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    ids = set()
    for block in text.split("\n\n"):
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if match:
            raw = "".join(re.findall(r'"(.*)"', match.group(1)))
            ids.add(raw.encode("latin-1", "backslashreplace").decode("unicode_escape"))
    ids.discard("")
    return ids


def test_compiled_catalogue_is_complete_and_current() -> None:
    with (LOCALE / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    compiled = {key if isinstance(key, str) else key[0] for key in catalogue._catalog}  # type: ignore[attr-defined]
    missing = sorted(po_msgids() - compiled)
    assert not missing, f"run compilemessages; not in django.mo: {missing[:5]}"
    untranslated = [
        m for m in po_msgids() if catalogue.gettext(m) == m and m not in {"FIGI", "UID", "Trademan"}
    ]
    assert not untranslated, untranslated[:5]


@pytest.mark.django_db
def test_rule_messages_in_russian(share: Instrument) -> None:
    from django.core.exceptions import ValidationError

    with translation.override("ru"), pytest.raises(ValidationError) as exc:
        tasks.create_sellbuy(instrument=share, direction="buy", amount=15)
    assert exc.value.message_dict["amount"] == [
        "Объём должен быть целым числом лотов (лот = 10): 15 шт. SBER — нет."
    ]


@pytest.mark.django_db
def test_admin_in_both_languages(admin_client: Client) -> None:
    url = reverse("admin:index")
    assert "Торговая база" in admin_client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Trading base" in admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.django_db
def test_api_errors_follow_accept_language(api: Any, share: Instrument) -> None:
    body = {"ticker": "SBER", "direction": "buy", "amount": 15}
    ru = api.post("/api/v1/sellbuy/", body, format="json", HTTP_ACCEPT_LANGUAGE="ru")
    en = api.post("/api/v1/sellbuy/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert ru.json()["error"]["message"].startswith("Объём должен быть целым числом лотов")
    assert en.json()["error"]["message"].startswith("Amount must be a whole number of lots")


@pytest.mark.django_db
def test_admin_pages_and_actions_in_russian(admin_client: Client, sellbuy: Any) -> None:
    for name in ("sellbuytask", "spread", "instrument", "order", "fill", "stoplistentry"):
        page = admin_client.get(reverse(f"admin:base_{name}_changelist"), HTTP_ACCEPT_LANGUAGE="ru")
        assert page.status_code == 200, name
    response = admin_client.post(
        reverse("admin:base_sellbuytask_changelist"),
        {"action": "deactivate", "_selected_action": [sellbuy.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert "1 задача выключена." in response.content.decode()


@pytest.mark.django_db
def test_too_deeply_nested_json_is_refused_in_russian(api: Any) -> None:
    body = "[" * 1000 + "]" * 1000
    response = api.generic(
        "POST", "/api/v1/orders/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Ошибка разбора JSON: вложенность")


@pytest.mark.django_db
def test_russian_admin_titles_keep_the_model_name_in_the_right_case(
    admin_client: Client, sellbuy: Any
) -> None:
    """Django's "Изменить %s" made "Изменить задача покупки/продажи" (wrong case)."""
    change = admin_client.get(
        reverse("admin:base_sellbuytask_change", args=[sellbuy.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    listing = admin_client.get(
        reverse("admin:base_sellbuytask_changelist"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    add = admin_client.get(
        reverse("admin:base_spread_add"), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    assert "Изменение: задача покупки/продажи" in change
    assert "Выбор для изменения: задача покупки/продажи" in listing
    assert "Добавление: спред" in add
    for page in (change, listing, add):
        for wrong in ("Изменить задача", "Выберите задача", "Добавить задача", "Добавить спред"):
            assert wrong not in page, wrong
