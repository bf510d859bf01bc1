"""The worker's web views: ``/metrics`` (Prometheus), ``/healthz`` (liveness) and ``/readyz`` (readiness)."""

from __future__ import annotations

from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams.runtime.acks import Acknowledger
from streams.runtime.health import HealthMonitor
from streams.runtime.metrics import Metrics
from streams.runtime.patches.stores import estimated_entries

__all__ = ["install_views"]


def install_views(
    app: faust.App, *, metrics: Metrics, dedup_state: faust.Table[str, Any], acks: Acknowledger, health: HealthMonitor
) -> None:
    @app.page("/metrics")
    async def metrics_view(self: Any, request: Any) -> Any:
        metrics.dedup_state_entries.set(estimated_entries(dedup_state))  # no scan of millions of entries
        # aiohttp wants the charset apart from the media type; Prometheus reads text 0.0.4 as UTF-8
        response = self.bytes(generate_latest(metrics.registry), content_type="text/plain")
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    @app.page("/healthz")
    async def healthz(self: Any, request: Any) -> Any:
        status, body = acks.health()  # 503 while an event is held: only a restart processes it again
        return self.json(body, status=status)

    @app.page("/readyz")
    async def readyz(self: Any, request: Any) -> Any:
        ready, checks = health.ready()
        return self.json({"ready": ready, **checks}, status=200 if ready else 503)
