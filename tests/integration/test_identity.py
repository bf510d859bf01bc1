"""Every message keeps its own identity through a real worker: one wire text scraped by two outlets (no URL)
and one JSON item published by two APIs under their own ids come out twice, each under its own id, the later
a duplicate of the earlier; the same messages replayed keep their ids and verdicts."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from streams.settings import Settings

from .conftest import WorkerProcess
from .kafka_io import Record, produce, read_until

WIRE = (
    "Envoys of the guarantor states opened a new round of talks on the ceasefire in the capital today, the "
    "foreign ministry said, with delegations of the government and the opposition taking part and observers "
    "from three neighbouring states attending the first session, which lasted four hours."
)
NOTICE = (
    "The council of ministers agreed on Monday to suspend part of the restrictions on trade and banking for "
    "six months, a spokesman told reporters after the meeting, adding that a review would follow in spring "
    "and that humanitarian exemptions already in force would be widened for aid groups."
)


def _outputs(records: list[Record], settings: Settings) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in records if r.topic != settings.topics.deadletter]


def test_one_text_from_two_sources_comes_out_twice_under_two_ids(
    bootstrap: str, worker_env: dict[str, str], start_worker: Any
) -> None:
    settings = Settings.from_env(worker_env)
    worker: WorkerProcess = start_worker()
    worker.wait_ready()
    text = f"Talks resume in the capital\n\n{WIRE}\n".encode()
    item = orjson.dumps({"id": "7731", "title": "Sanctions relief agreed", "body": NOTICE})
    plain = [("content-type", b"text/plain")]
    json = [("content-type", b"application/json")]
    messages = [
        (b"page-1", text, [*plain, ("source", b"outlet-a")]),  # the same key: processed in this order
        (b"page-1", text, [*plain, ("source", b"outlet-b")]),
        (b"item", item, [*json, ("source", b"api-one")]),  # one key: one partition, so published in this order
        (b"item", item, [*json, ("source", b"api-two")]),
    ]
    asyncio.run(produce(bootstrap, settings.topics.raw, messages))
    topics = list(settings.topics.outputs())
    first = asyncio.run(read_until(bootstrap, topics, lambda rs: len(_outputs(rs, settings)) >= 4, 120, settle=2))
    articles = _outputs(first, settings)
    assert len(articles) == 4, worker.log_tail()
    by_source = {a["source"]["name"]: a for a in articles}
    assert set(by_source) == {"outlet-a", "outlet-b", "api-one", "api-two"}
    assert len({a["id"] for a in articles}) == 4  # four messages, four ids
    for earlier, later in (("outlet-a", "outlet-b"), ("api-one", "api-two")):
        assert by_source[earlier]["dedup"]["duplicate"] is False
        assert by_source[later]["dedup"]["duplicate"] is True
        assert by_source[later]["dedup"]["dup_of"] == by_source[earlier]["id"]
        assert by_source[later]["id"] != by_source[earlier]["id"]

    # the same four messages again (a replay, a producer retry): the same ids, each now a copy of its first
    asyncio.run(produce(bootstrap, settings.topics.raw, messages))
    again = asyncio.run(read_until(bootstrap, topics, lambda rs: len(_outputs(rs, settings)) >= 8, 120, settle=2))
    # the records the first read did not see: records of several topics do not arrive in the order written
    seen = {(r.topic, r.partition, r.offset) for r in first}
    replayed = _outputs([r for r in again if (r.topic, r.partition, r.offset) not in seen], settings)
    assert len(replayed) == 4, worker.log_tail()
    assert {a["id"] for a in replayed} == {a["id"] for a in articles}
    assert all(a["dedup"]["duplicate"] for a in replayed)
    first_of = {a["id"]: {a["id"], a["dedup"]["dup_of"] or a["id"]} for a in articles}
    for article in replayed:  # a copy of itself published again, or of the text's first copy
        assert article["dedup"]["dup_of"] in first_of[article["id"]], article["dedup"]
