"""The pure stages: plain functions from bytes to article records, verdicts and routes.

Nothing here imports Faust or aiokafka (a test checks the import graph), so every stage runs, and is tested,
without a broker: ``record`` (the article record and its ids), ``textnorm`` (folding text for matching),
``parsing`` (raw payloads to records), ``tagging`` (language, entities, places, topics, why), ``dedup``
(exact, near and same-story verdicts over a key-value state), ``routing`` (rules to a route) and ``pipeline``
(the stages chained as the agents call them).
"""
