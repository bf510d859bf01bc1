"""Hostile payloads, with the outcome the parse stage's contract gives each kind (not what the parser happens
to do): XML entity declarations are refused wherever they stand, a lying charset declaration does not garble
UTF-8, and UTF-8 with a few stray single-byte characters keeps both readable."""

from __future__ import annotations

import pytest

from streams.errors import ParseError
from streams.stages.parsing import RawMeta, parse_payload
from streams.stages.parsing.encoding import decode

RSS = "application/rss+xml"


def _feed(title: str, head: bytes = b'<?xml version="1.0"?>', doctype: bytes = b"") -> bytes:
    return (
        head
        + doctype
        + b'<rss version="2.0"><channel><title>wire</title><item><title>'
        + title.encode()
        + b"</title><link>https://news.example/item</link><description>The envoy met the foreign minister for"
        + b" talks on the ceasefire.</description></item></channel></rss>"
    )


def _laughs(levels: int) -> bytes:
    declarations = [b'<!ENTITY e0 "ha">']
    declarations += [b'<!ENTITY e%d "%s">' % (n, b"&e%d;" % (n - 1) * 10) for n in range(1, levels)]
    return b"<!DOCTYPE rss [" + b"".join(declarations) + b"]>"


@pytest.mark.parametrize("padding", [0, 70_000, 2_000_000])
def test_entity_declarations_are_refused_wherever_they_stand(padding: int) -> None:
    head = b'<?xml version="1.0"?><!--' + b" " * padding + b"-->"
    with pytest.raises(ParseError) as refused:
        parse_payload(_feed("Talks &e9;", head=head, doctype=_laughs(10)), RawMeta(content_type=RSS))
    assert refused.value.reason == "xml_entities"


def test_a_lying_charset_declaration_does_not_garble_utf8() -> None:
    title = "محادثات جنيف تستأنف"
    payload = _feed(title, head=b'<?xml version="1.0" encoding="iso-8859-1"?>')
    (article,) = parse_payload(payload, RawMeta(content_type=RSS))
    assert article.title == title


def test_utf8_with_stray_single_byte_characters_keeps_both() -> None:
    payload = "Délégation à Genève — ".encode() + "naïve".encode("latin-1")
    assert decode(payload) == "Délégation à Genève — naïve"


def test_text_in_a_single_byte_code_page_is_not_read_as_utf8() -> None:
    text = "Le ministre des affaires étrangères a rencontré l'envoyé à Genève."
    assert decode(text.encode("cp1252")) == text
    arabic = "التقى المبعوث الأممي وزير الخارجية في دمشق"
    assert decode(arabic.encode("cp1256"), declared="cp1256") == arabic
