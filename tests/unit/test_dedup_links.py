"""Stories of one language linked across languages from their summaries (``StoryLinks``)."""

from __future__ import annotations

import math
from typing import Any

from streams.stages.dedup.config import DedupConfig
from streams.stages.dedup.links import MIN_STORIES_FOR_SHARE, StoryLinks

DAY = 24 * 3600.0
T0 = 1_795_000_000.0


def story(
    shared: dict[str, float], first: float | None = T0, last: float | None = None, now: float = T0
) -> dict[str, Any]:
    """A story's record as the index keeps it: the sum of its reports' shared vectors, their span, its time."""
    norm = math.sqrt(sum(w * w for w in shared.values()))
    return {"e": shared, "en": norm, "f": first, "l": first if last is None else last, "t": now}


TALKS = {"@kiribati": 0.5, "@tuvalu": 0.5, "@tarawa": 0.4, "#12": 0.3}


def test_two_languages_of_one_event_are_linked_into_the_first_storys_group() -> None:
    links = StoryLinks({})
    first = links.update("en", "en-1", story(TALKS))
    assert (first.group, first.linked) == ("en-1", False)
    second = links.update("ar", "ar-1", story({"@kiribati": 0.6, "@tuvalu": 0.4, "@tarawa": 0.3}, T0 + 3600))
    assert (second.group, second.linked) == ("en-1", True)
    assert second.score > 0.9
    assert links.members("en-1") == {"en": "en-1", "ar": "ar-1"}
    assert links.group_of("ar", "ar-1") == "en-1"
    assert links.group_of("fr", "unknown") == "unknown"


def test_stories_of_one_language_are_never_linked() -> None:
    links = StoryLinks({})
    links.update("en", "en-1", story(TALKS))
    again = links.update("en", "en-2", story(dict(TALKS)))
    assert (again.group, again.linked) == ("en-2", False)
    assert links.members("en-1") == {"en": "en-1"}
    # a story of a third language joins one of them, the next the other, and a third finds no group left
    joined = {links.update("tr", "tr-1", story(TALKS)).group, links.update("tr", "tr-2", story(TALKS)).group}
    assert joined == {"en-1", "en-2"}
    assert links.update("tr", "tr-3", story(TALKS)).group == "tr-3"


def test_one_name_in_common_or_another_week_or_no_date_is_no_link() -> None:
    links = StoryLinks({})
    links.update("en", "en-1", story(TALKS))
    assert not links.update("ar", "one-name", story({"@kiribati": 1.0, "@fiji": 0.2})).linked
    assert not links.update("de", "later", story(dict(TALKS), T0 + 5 * DAY)).linked
    assert not links.update("fr", "undated", story(dict(TALKS), None)).linked
    # the next day is the same story, as the story step has it
    assert links.update("es", "next-day", story(dict(TALKS), T0 + DAY)).linked


def test_a_story_alone_links_once_its_reports_name_enough() -> None:
    links = StoryLinks({})
    links.update("en", "en-1", story(TALKS))
    assert not links.update("ru", "ru-1", story({"@kiribati": 0.7, "@nauru": 0.7})).linked
    grown = links.update("ru", "ru-1", story({"@kiribati": 1.1, "@nauru": 0.7, "@tuvalu": 0.6, "@tarawa": 0.5}))
    assert (grown.group, grown.linked) == ("en-1", True)
    # once in a group it stays, whatever its later reports name
    assert links.update("ru", "ru-1", story({"@nauru": 2.0})).group == "en-1"


def test_the_groups_and_lists_are_rebuilt_from_the_stored_parts() -> None:
    state: dict[str, Any] = {}
    derived: dict[str, Any] = {}
    links = StoryLinks(state, index=derived)
    links.update("en", "en-1", story(TALKS))
    links.update("ar", "ar-1", story(TALKS))
    links.update("de", "de-1", story({"@fiji": 0.5, "@samoa": 0.5}))
    assert all(key.startswith("p:") for key in state)  # the records: what a changelog would carry
    assert {key[:2] for key in derived} == {"g:", "l:"}
    rebuilt: dict[str, Any] = {}
    restored = StoryLinks(state, index=rebuilt)
    for key, part in state.items():
        restored.reindex(key, part)
    restored.reindex("x:other", {"s": {}})  # not a part: nothing to add
    assert restored.members("en-1") == {"en": "en-1", "ar": "ar-1"}
    assert restored.members("de-1") == {"de": "de-1"}
    assert rebuilt["l:@kiribati"] == derived["l:@kiribati"]
    assert restored.group_of("ar", "ar-1") == "en-1"
    assert restored.update("fa", "fa-1", story(TALKS)).group == "en-1"
    assert restored.members("en-1") == {"en": "en-1", "ar": "ar-1", "fa": "fa-1"}
    assert restored.update("it", "it-1", story({"@fiji": 0.4, "@samoa": 0.6})).group == "de-1"


def test_a_feature_listing_too_many_groups_becomes_a_marker_and_is_not_read() -> None:
    hour = 3600.0
    arabic = story({"@kiribati": 0.5, "@tuvalu": 0.5, "@x3": 0.5}, T0, now=T0 + 4 * hour)
    linked = {}
    for limit in (3, 200):
        links = StoryLinks({}, DedupConfig(max_postings=limit))
        for n in range(4):  # four events of one day naming the same two places
            links.update("en", f"en-{n}", story({"@kiribati": 0.5, "@tuvalu": 0.5, f"@x{n}": 0.5}, now=T0 + n * hour))
        if limit == 3:
            assert links.index["l:@kiribati"] == {"common": T0 + 3 * hour}
            assert links.index["l:@x3"] == {"g": {"en-3": T0 + 3 * hour}}
        linked[limit] = links.update("ar", "ar-3", arabic).group
    # the fourth event's report in Arabic shares its two places and its own name: with the places' lists
    # markers, only its name is read (one feature in common is no link); with them read, it joins its event
    assert linked == {3: "ar-3", 200: "en-3"}


def test_a_part_past_the_time_to_live_leaves_its_group() -> None:
    config = DedupConfig(ttl_seconds=3 * DAY)
    state: dict[str, Any] = {}
    links = StoryLinks(state, config)
    links.update("en", "en-1", story(TALKS))
    links.update("ar", "ar-1", story(TALKS, now=T0 + 2 * DAY))
    later = T0 + 4 * DAY  # the English story's record is past the time-to-live, the Arabic one's is not
    assert links.update("tr", "tr-1", story(TALKS, T0 + 2 * DAY, now=later)).group == "en-1"
    assert "p:en|en-1" not in state
    assert links.members("en-1") == {"ar": "ar-1", "tr": "tr-1"}


def test_a_name_most_stories_have_does_not_count_as_uncommon() -> None:
    links = StoryLinks({})
    for n in range(MIN_STORIES_FOR_SHARE):  # stories of other events that all name Syria and the UN
        links.update("en", f"other-{n}", story({"@syria": 0.5, "@un": 0.5, f"@city{n}": 0.7}))
    links.update("en", "en-1", story({"@syria": 0.5, "@un": 0.5, "@kiribati": 0.6}))
    # Syria and the UN in common, and one uncommon name: not enough to link across languages
    assert not links.update("ar", "ar-1", story({"@syria": 0.5, "@un": 0.5, "@kiribati": 0.6})).linked
    links.update("en", "en-2", story({"@syria": 0.5, "@un": 0.5, "@kiribati": 0.6, "@tuvalu": 0.6}))
    assert links.update("ar", "ar-2", story({"@syria": 0.5, "@kiribati": 0.6, "@tuvalu": 0.6})).group == "en-2"


def test_a_story_takes_another_languages_story_out_of_a_group_it_was_linked_to_for_want_of_its_own() -> None:
    ankara = {"@syria": 0.5, "@turkey": 0.5}  # two ministers meet
    astana_ar = {"@syria": 0.3, "@turkey": 0.3, "@russia": 0.5, "@iran": 0.5, "@kazakhstan": 0.5}  # talks open
    for same_event, expected in ((False, "en-2"), (True, "en-1")):
        links = StoryLinks({})
        links.update("en", "en-1", story(ankara))
        early = links.update("ar", "ar-1", story(astana_ar))  # no Astana story in English yet: the closest group
        assert (early.group, early.linked) == ("en-1", True)
        astana_en = {"@russia": 0.5, "@iran": 0.5, "@kazakhstan": 0.5, "@astana": 0.5}
        if same_event:  # the English report names the ministers' meeting too: the group is its event
            astana_en |= {"@syria": 0.5, "@turkey": 0.5}
        later = links.update("en", "en-2", story(astana_en))
        assert links.group_of("ar", "ar-1") == expected
        if same_event:  # the index kept two English stories of one event apart: not undone here
            assert (later.group, later.linked, later.changed) == ("en-2", False, ())
            assert links.members("en-1") == {"en": "en-1", "ar": "ar-1"}
        else:
            assert (later.group, later.linked, later.changed) == ("en-2", True, ("en-1",))
            assert later.score > early.score
            assert links.members("en-2") == {"en": "en-2", "ar": "ar-1"}
            assert links.members("en-1") == {"en": "en-1"}
    # a group's first story is never taken out of it
    links = StoryLinks({})
    links.update("ar", "ar-1", story(astana_ar))
    links.update("en", "en-1", story(ankara))
    assert links.members("ar-1") == {"ar": "ar-1", "en": "en-1"}
    alone = links.update("en", "en-2", story({"@russia": 0.5, "@iran": 0.5, "@kazakhstan": 0.5, "@astana": 0.5}))
    assert (alone.group, alone.linked) == ("en-2", False)
    assert links.members("ar-1") == {"ar": "ar-1", "en": "en-1"}


def test_a_sweep_deletes_the_parts_groups_and_list_entries_past_the_time_to_live() -> None:
    config = DedupConfig(ttl_seconds=3 * DAY)
    state: dict[str, Any] = {}
    links = StoryLinks(state, config)
    links.update("en", "en-1", story(TALKS), summary={"story": "en-1", "reports": 1})
    links.update("ar", "ar-1", story(TALKS), summary={"story": "ar-1", "reports": 1})
    later = {"@fiji": 0.5, "@samoa": 0.5, "@kiribati": 0.4}
    links.update("de", "de-1", story(later, T0 + 4 * DAY, now=T0 + 4 * DAY))
    assert links.summaries("en-1") == {"en": {"story": "en-1", "reports": 1}, "ar": {"story": "ar-1", "reports": 1}}
    assert links.clock == T0 + 4 * DAY
    done = links.sweep(list(state.items()), links.clock)
    # two parts and their group; the lists of their features alone, and the one it shares pruned
    assert done == {"delete": 2 + 1 + 3, "prune": 1}
    assert sorted(state) == ["g:de-1", "l:@fiji", "l:@kiribati", "l:@samoa", "p:de|de-1"]
    assert state["l:@kiribati"] == {"g": {"de-1": T0 + 4 * DAY}}
    assert links.summaries("en-1") == {}
