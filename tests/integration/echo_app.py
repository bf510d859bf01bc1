"""A minimal Faust app for the foundation test: upper-cases each message from one topic into another."""

from __future__ import annotations

import os

import faust

app = faust.App(
    os.environ.get("ECHO_APP_ID", "echo"),
    broker="kafka://" + os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
    store="memory://",
    datadir=os.environ.get("ECHO_DATADIR", "/tmp/echo-faust"),
    web_port=int(os.environ.get("ECHO_PORT", "6099")),
    web_host="127.0.0.1",
    web_bind="127.0.0.1",
    broker_session_timeout=6,
    broker_heartbeat_interval=0.5,
    consumer_auto_offset_reset="earliest",
    autodiscover=False,
)
source = app.topic(os.environ.get("ECHO_SOURCE", "echo-in"), value_serializer="raw")
sink = app.topic(os.environ.get("ECHO_SINK", "echo-out"), value_serializer="raw")


@app.agent(source)
async def upper(stream):  # type: ignore[no-untyped-def]
    async for value in stream:
        await sink.send(value=value.upper())


if __name__ == "__main__":
    app.main()
