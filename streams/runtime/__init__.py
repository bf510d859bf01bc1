"""The Faust worker runtime: the app's wiring, the agents, acknowledgements, dead letters, web views, metrics,
Kafka clients and the few patches of Faust's internals (``patches``). The logic lives in ``streams.stages``;
this package moves its inputs and outputs through Kafka with at-least-once delivery.
"""
