from prometheus_client import CollectorRegistry, generate_latest

from streams.errors import BrokerUnavailableError, ParseError, StreamsError
from streams.runtime.metrics import build_metrics


def test_errors_share_one_root_and_say_whether_to_retry() -> None:
    parse = ParseError("bad", reason="bad_json")
    assert isinstance(parse, StreamsError)
    assert (parse.retriable, parse.stage, parse.reason) == (False, "parse", "bad_json")
    assert BrokerUnavailableError("down").retriable is True


def test_metrics_on_a_fresh_registry_follow_the_conventions() -> None:
    registry = CollectorRegistry()
    metrics = build_metrics(registry)
    metrics.failed.labels(stage="parse", reason="bad_json").inc()
    metrics.stage_seconds.labels(stage="route").observe(0.002)
    text = generate_latest(registry).decode()
    assert 'streams_failed_messages_total{reason="bad_json",stage="parse"} 1.0' in text
    assert "streams_stage_processing_seconds_bucket" in text
    for family in registry.collect():
        if family.type == "counter":
            assert family.name.startswith("streams_")
    # a second factory call on another registry does not collide
    build_metrics(CollectorRegistry())


def test_process_metrics_are_there_when_asked_for() -> None:
    registry = CollectorRegistry()
    build_metrics(registry, process=True)
    text = generate_latest(registry).decode()
    assert "process_resident_memory_bytes" in text
    assert "process_cpu_seconds_total" in text
    assert "process_resident_memory_bytes" not in generate_latest(build_metrics(CollectorRegistry()).registry).decode()


def test_an_output_refused_for_the_record_itself_is_a_dead_letter_reason() -> None:
    from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

    from streams.errors import OutputRefusedError
    from streams.runtime.deadletter import error_reason, refused_output

    refused = refused_output(MessageSizeTooLargeError())
    assert isinstance(refused, OutputRefusedError)
    assert not refused.retriable
    assert error_reason(refused) == "output_refused"
    assert refused_output(KafkaTimeoutError()) is None  # the broker's trouble: processed again, not dead-lettered
