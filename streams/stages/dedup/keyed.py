"""Dedup keyed by language, in one process: an index per language (or per group of languages), and the link
step (decision 0008; the worker does not run it: see there why).

Each index sees its languages' articles alone and links no story across languages
(``DedupConfig.cross_language`` off) and merges no stories (``merge_stories`` off: the method as measured);
the link step (``StoryLinks``) links the stories of one event across
languages from each story's update, as a link agent would. ``scripts/eval_dedup.py --by-language`` scores
it on the development set.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, MutableMapping
from dataclasses import dataclass, replace
from typing import Any

from streams.stages.dedup.config import DedupConfig
from streams.stages.dedup.features import UNKNOWN_LANG, Bags
from streams.stages.dedup.fingerprint import Fingerprint
from streams.stages.dedup.index import DedupIndex, Given, Verdict
from streams.stages.dedup.links import Link, StoryLinks
from streams.stages.dedup.summary import story_summary
from streams.stages.record import Article

__all__ = ["KeyedDedup", "KeyedVerdict"]


@dataclass(frozen=True, slots=True)
class KeyedVerdict:
    verdict: Verdict
    lang: str
    link: Link | None  # the link step's answer to the story's update (None: no update, as for a duplicate)

    @property
    def group(self) -> str:
        """The story's group (its stories in every language) as of this article."""
        return self.link.group if self.link is not None else self.verdict.story


class KeyedDedup:
    def __init__(
        self,
        config: DedupConfig | None = None,
        partition_of: Callable[[str], Hashable] | None = None,
        state_for: Callable[[Hashable], MutableMapping[str, Any]] | None = None,
    ) -> None:
        self.config = replace(config or DedupConfig(), cross_language=False, merge_stories=False)
        self.partition_of = partition_of or (lambda lang: lang)  # which index a language's articles go to
        self.state_for = state_for or (lambda partition: {})
        self.indexes: dict[Hashable, DedupIndex] = {}
        self.links = StoryLinks({}, self.config)

    def index(self, lang: str) -> DedupIndex:
        partition = self.partition_of(lang)
        index = self.indexes.get(partition)
        if index is None:
            index = self.indexes[partition] = DedupIndex(self.state_for(partition), self.config)
        return index

    def check(
        self,
        article: Article,
        fp: Given[Fingerprint] = None,
        route: str | None = None,
        story_bags: Given[Bags] = None,
    ) -> KeyedVerdict:
        """The article's verdict from its language's index, and its story's update through the link step (for
        every article that is no duplicate, as a dedup agent keyed by language would send it)."""
        lang = article.lang or UNKNOWN_LANG
        index = self.index(lang)
        verdict = index.check(article, fp, route, story_bags)
        record = None if verdict.duplicate else index.story_record(verdict.story)
        link = None
        if record is not None:
            link = self.links.update(lang, verdict.story, record, story_summary(verdict.story, record))
        return KeyedVerdict(verdict, lang, link)

    def group_of(self, lang: str, story: str) -> str:
        """A language story's group now."""
        return self.links.group_of(lang, story)
