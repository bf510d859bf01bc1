"""Dedup keyed by language: which partition a language goes to, the producer's partitioner, and the indexes of
the partitions with the link step in one process (``KeyedDedup``), as the worker runs them."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from streams.runtime.agents import dedup_key
from streams.runtime.dedup_partitions import (
    PRIORITY_LANGUAGES,
    ArticlesPartitioner,
    PartitionIndexes,
    articles_key,
    language_partition,
)
from streams.stages.dedup.index import DedupConfig
from streams.stages.dedup.keyed import KeyedDedup

from .test_stories_topic import event_reports


def test_the_projects_languages_take_the_partitions_in_turn_and_others_go_by_hash() -> None:
    assert [language_partition(lang, 4) for lang in PRIORITY_LANGUAGES] == [0, 1, 2, 3, 0, 1, 2, 3, 0]
    assert [language_partition(lang, 2) for lang in ("ar", "en", "tr")] == [0, 1, 0]
    assert {language_partition(lang, 1) for lang in (*PRIORITY_LANGUAGES, "pt", "und")} == {0}
    default = DefaultPartitioner()
    for lang in ("pt", "nl", "und", "zh"):  # as Kafka's default partitioner sends the language's code
        assert language_partition(lang, 8) == default(lang.encode(), list(range(8)), list(range(8)))


def test_the_producer_sends_an_article_to_its_languages_partition_and_other_keys_as_kafka_does() -> None:
    partitioner = ArticlesPartitioner()
    english, _, arabic, _ = event_reports()
    assert dedup_key(english) == articles_key("en") == b"lang:en"
    assert dedup_key(arabic) == b"lang:ar"
    partitions = list(range(6))
    assert partitioner(dedup_key(arabic), partitions, partitions) == 0
    assert partitioner(dedup_key(english), partitions, partitions) == 1
    assert partitioner(articles_key("pt"), partitions, partitions) == language_partition("pt", 6)
    assert partitioner(articles_key("es"), [0, 1, 2], [0, 1, 2]) == 2  # the partition count from the metadata
    for key in (b"5f0c2a", b"links", b"lang"):  # article and story ids, the link step's key
        assert partitioner(key, partitions, partitions) == DefaultPartitioner()(key, partitions, partitions)


def test_keyed_dedup_gives_each_language_its_index_and_links_their_stories() -> None:
    english, second, arabic, other = event_reports()
    keyed = KeyedDedup(partition_of=lambda lang: language_partition(lang, 4))
    checked = [keyed.check(report) for report in (english, second, arabic, other)]
    assert [c.verdict.story for c in checked] == [english.id, english.id, arabic.id, other.id]
    assert [c.lang for c in checked] == ["en", "en", "ar", "en"]
    assert [c.group for c in checked] == [english.id, english.id, english.id, other.id]
    assert [c.link.linked for c in checked if c.link] == [False, False, True, False]
    assert sorted(keyed.indexes) == [0, 1]  # Arabic's partition and English's
    assert keyed.links.members(english.id) == {"en": english.id, "ar": arabic.id}
    # the Arabic index has no English story: a report is never joined to another language's story there
    assert keyed.index("ar").story_record(english.id) is None
    copy = keyed.check(type(english).loads(english.dumps()))  # the same message again: its verdict, its group
    assert (copy.verdict.duplicate, copy.group) == (False, english.id)


def test_the_indexes_of_a_workers_partitions_share_the_bound_on_what_they_keep_decoded() -> None:
    indexes = PartitionIndexes(None, DedupConfig())  # type: ignore[arg-type]  # no store is read here
    first = indexes(0)
    assert first.cache_share == 1.0
    assert indexes(0) is first
    second = indexes(3)
    assert (first.cache_share, second.cache_share) == (0.5, 0.5)
    assert indexes.clock is None
    first.clock, second.clock = 5.0, 7.0
    assert indexes.clock == 7.0
