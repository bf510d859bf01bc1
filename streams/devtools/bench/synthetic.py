"""A synthetic news stream with known stories, for the dedup benchmark: events, their reports, edited copies,
and hot terms that most reports share.

Each event has its own words (drawn from a large pool with a long tail, so events share some of them, as
news does) and two or three names (entity ids from a pool where a few names recur often). Each event gets a
few reports, written separately: a title and a body of its words, the stream's common words and, with
``hot``, words and names that a large share of all reports carry (as "Syria", "talks" and the UN do on a
busy day). Some reports are edited copies of an earlier report of their event (a few words changed), which
dedup must call duplicates. The words are five letters (the story step's word prefix), so no two words share
a feature by accident.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from streams.stages.record import Article, Source, iso_utc

__all__ = ["HOT_NAMES", "Report", "synthetic_stream"]

COMMON_WORDS = 3_000  # the stream's everyday vocabulary, Zipf-distributed
EVENT_POOL = 400_000  # where events draw their own words from
EVENT_WORDS = 12
NAME_POOL = 20_000
HOT_WORDS = 4  # words that about half of the reports carry
# names and the share of reports that carry them, as on a busy day of news about Syria
HOT_NAMES = {"country.SY": 0.7, "organisation.united_nations": 0.35, "country.US": 0.25, "country.TR": 0.15}
BODY_WORDS = 150
COPY_EDITS = 0.05  # the share of a copy's words changed


@dataclass(frozen=True, slots=True)
class Report:
    article: Article
    event: int
    copy_of: str | None  # the id of the report this one is an edited copy of


def _word(index: int) -> str:
    letters = []
    for _ in range(5):
        index, rest = divmod(index, 26)
        letters.append(chr(97 + rest))
    return "".join(letters)


def synthetic_stream(
    articles: int,
    seed: int = 7,
    *,
    hot: bool = True,
    copy_share: float = 0.2,
    per_day: float = 5_000.0,
    start: float = 1_796_000_000.0,
) -> Iterator[Report]:
    """``articles`` reports in publication order, ``per_day`` of them a day from ``start`` (epoch seconds)."""
    rng = random.Random(seed)
    common = [_word(i) for i in range(COMMON_WORDS)]
    common_weights = [1.0 / (rank + 1) for rank in range(COMMON_WORDS)]
    hot_words = [_word(COMMON_WORDS + i) for i in range(HOT_WORDS)]
    step = 86_400.0 / per_day
    open_events: list[tuple[int, list[str], list[str], list[list[str]]]] = []  # id, words, names, reports
    next_event = 0
    for n in range(articles):
        if not open_events or rng.random() < 0.3:  # a new event; else another report of a recent one
            words = [_word(COMMON_WORDS + HOT_WORDS + int(rng.paretovariate(0.6)) % EVENT_POOL)]
            words += [_word(COMMON_WORDS + HOT_WORDS + rng.randrange(EVENT_POOL)) for _ in range(EVENT_WORDS - 1)]
            names = [f"person.p{int(rng.paretovariate(1.0)) % NAME_POOL}" for _ in range(rng.choice((2, 3)))]
            open_events.append((next_event, words, names, []))
            next_event += 1
            if len(open_events) > 200:
                open_events.pop(0)
        event, words, names, reports = open_events[-1] if rng.random() < 0.5 else rng.choice(open_events)
        published = start + n * step
        copy_of = None
        if reports and rng.random() < copy_share:
            source = rng.randrange(len(reports))
            body_words = list(reports[source][1:])
            for _ in range(int(len(body_words) * COPY_EDITS)):
                body_words[rng.randrange(len(body_words))] = rng.choices(common, common_weights)[0]
            copy_of = reports[source][0]
        else:
            body_words = rng.choices(common, common_weights, k=BODY_WORDS)
            for i in rng.sample(range(BODY_WORDS), BODY_WORDS // 4):
                body_words[i] = rng.choice(words)
            if hot:
                for i in rng.sample(range(BODY_WORDS), BODY_WORDS // 12):
                    body_words[i] = rng.choice(hot_words) if rng.random() < 0.5 else body_words[i]
        title = " ".join([*rng.sample(words, 3), *rng.choices(common, common_weights, k=3)])
        entities = [{"id": name, "title": 1, "body": 2} for name in names]
        if hot:
            entities += [{"id": h, "title": 0, "body": 1} for h, share in HOT_NAMES.items() if rng.random() < share]
        article_id = f"{n:024x}"
        stamp = iso_utc(datetime.fromtimestamp(published, UTC))
        article = Article(
            id=article_id,
            title=title,
            body=" ".join(body_words),
            lang="en",
            published=stamp,
            source=Source(domain=f"outlet{rng.randrange(300)}.example"),
            fetched_at=stamp,
            tags={"entities": entities, "topics": {}},
            origin={"topic": "bench", "partition": 0, "offset": n, "item": 0},
        )
        reports.append([article_id, *body_words])
        if len(reports) > 8:
            reports.pop(0)
        yield Report(article, event, copy_of)
