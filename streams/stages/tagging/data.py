"""The curated data files and the language tables that go with them.

``streams/data/entities.yaml`` and ``signals.yaml`` hold the six languages we tag deeply; ``entities_langs.yaml``
adds names in further languages, merged by entity id; ``signals_langs.yaml`` (German, Italian, Spanish, Portuguese,
Bulgarian) and ``signals_world.yaml`` (Dutch, Polish, Ukrainian, Greek, Hebrew, Indonesian, Chinese, Japanese,
Hindi, Urdu, Swedish, Kurmanji, Sorani) add cue words, merged by topic id.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from streams.stages.textnorm import fold

__all__ = ["DATA_FILES", "PLACE_QUALIFIERS", "load_data", "merge_signals", "qualified_forms", "taken_spellings"]

DATA_FILES = {
    "entities": ("entities.yaml", "entities_langs.yaml"),
    "signals": ("signals.yaml", "signals_langs.yaml", "signals_world.yaml"),
}


# Qualifiers that make an ambiguous place name unambiguous: "محافظة حمص" is not chickpeas,
# "Aleppo countryside" is not pepper.
PLACE_QUALIFIERS = {
    "ar": (
        "محافظة {}",
        "ريف {}",
        "مدينة {}",
        "شمال {}",
        "جنوب {}",
        "شرق {}",
        "غرب {}",
        "شمالي {}",
        "جنوبي {}",
        "شرقي {}",
        "غربي {}",
        "{} السورية",
        "{} السوري",
    ),
    "en": (
        "{} province",
        "{} governorate",
        "{} countryside",
        "countryside of {}",
        "{} syria",
        "syrian city of {}",
        "northern {}",
        "southern {}",
        "eastern {}",
        "western {}",
        "rural {}",
    ),
    "tr": ("{} kırsalı", "{} vilayeti", "{} ili"),
    "fr": ("province de {}", "gouvernorat de {}", "région de {}", "campagne de {}"),
    "ru": ("провинция {}", "провинции {}", "мухафаза {}", "мухафазы {}"),
    "fa": ("استان {}", "حومه {}"),
}


def qualified_forms(word: str, lang: str) -> list[str]:
    return [pattern.format(word) for pattern in PLACE_QUALIFIERS.get(lang, ())]


def taken_spellings(
    aliases: dict[str, dict[str, set[str]]], unclear: dict[str, dict[str, set[str]]], signal_data: dict[str, Any]
) -> dict[str, str]:
    """Folded curated spellings and the entity (or ``signal``) they belong to: a library name in a language we
    do not tag deeply that spells one of them is left out."""
    taken: dict[str, str] = {}
    for table in (aliases, unclear):
        for entity_id, by_lang in table.items():
            for words in by_lang.values():
                for word in words:
                    taken.setdefault(fold(str(word).rstrip("*")), entity_id)
    for item in (signal_data.get("topics") or {}).values():
        for words in (item.get("terms") or {}).values():
            for word in words or []:
                taken.setdefault(fold(str(word).rstrip("*")), "signal")
    return taken


def _load_yaml(name: str) -> dict[str, Any]:
    try:
        text = (resources.files("streams") / "data" / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    data = yaml.safe_load(text)
    return data if isinstance(data, dict) else {}


def merge_signals(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra``'s topics added: terms of a known topic join its terms per language, a new topic
    comes whole."""
    topics = {k: {**v, "terms": dict(v.get("terms") or {})} for k, v in (base.get("topics") or {}).items()}
    for key, value in (extra.get("topics") or {}).items():
        if key not in topics:
            topics[key] = value
            continue
        terms = topics[key]["terms"]
        for lang, words in (value.get("terms") or {}).items():
            terms[lang] = [*(terms.get(lang) or []), *(words or [])]
    version = f"{base.get('version', 0)}+{extra['version']}" if "version" in extra else base.get("version", 0)
    return {**base, "version": version, "topics": topics}


def load_data() -> tuple[dict[str, Any], dict[str, Any]]:
    first, *more = (_load_yaml(name) for name in DATA_FILES["entities"])
    entities = dict(first)
    for extra in more:
        entities["entities"] = [*(entities.get("entities") or []), *(extra.get("entities") or [])]
        entities["abbreviations"] = {**(entities.get("abbreviations") or {}), **(extra.get("abbreviations") or {})}
        if "version" in extra:
            entities["version"] = f"{entities.get('version', 0)}+{extra['version']}"
    signals, *extra_signals = (_load_yaml(name) for name in DATA_FILES["signals"])
    for extra in extra_signals:
        signals = merge_signals(signals, extra)
    return entities, signals
