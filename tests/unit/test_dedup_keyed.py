"""Dedup keyed by language in one process (``KeyedDedup``): each language its index, the link step between."""

from __future__ import annotations

from streams.stages.dedup.keyed import KeyedDedup

from .test_stories_topic import event_reports


def test_keyed_dedup_gives_each_language_its_index_and_links_their_stories() -> None:
    english, second, arabic, other = event_reports()
    keyed = KeyedDedup()
    checked = [keyed.check(report) for report in (english, second, arabic, other)]
    assert [c.verdict.story for c in checked] == [english.id, english.id, arabic.id, other.id]
    assert [c.lang for c in checked] == ["en", "en", "ar", "en"]
    assert [c.group for c in checked] == [english.id, english.id, english.id, other.id]
    assert [c.link.linked for c in checked if c.link] == [False, False, True, False]
    assert sorted(keyed.indexes) == ["ar", "en"]
    assert keyed.links.members(english.id) == {"en": english.id, "ar": arabic.id}
    assert keyed.group_of("ar", arabic.id) == english.id
    # the Arabic index has no English story: a report is never joined to another language's story there
    assert keyed.index("ar").story_record(english.id) is None
    again = keyed.check(type(english).loads(english.dumps()))  # the same message again: its verdict, its group
    assert (again.verdict.duplicate, again.group) == (False, english.id)
    # languages may share an index, and still link no story across languages in it
    shared = KeyedDedup(partition_of=lambda lang: 0)
    groups = [shared.check(report).group for report in (english, second, arabic, other)]
    assert groups == [english.id, english.id, english.id, other.id]
    assert shared.index("ar").story_record(arabic.id) is not None  # its own story, linked by the link step
