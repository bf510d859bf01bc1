"""Running the worker: topics first, then the Faust worker with its signal handling and logging."""

from __future__ import annotations

import asyncio
from typing import NoReturn

from streams.runtime.kafka import ensure_topics, wait_for_broker
from streams.runtime.patches.tuning import without_spinner
from streams.settings import Settings
from streams.stages.parsing.langid import set_accuracy
from streams.stages.pipeline import warm_up

__all__ = ["run_worker"]


def run_worker(settings: Settings, loglevel: str | None = None) -> NoReturn:
    """Create missing topics, then run the worker until SIGTERM/SIGINT; exits the process."""
    import faust

    from streams.runtime.app import create_app

    async def prepare() -> None:
        await wait_for_broker(settings, timeout=60.0)
        await ensure_topics(settings)

    asyncio.run(prepare())
    set_accuracy(settings.langid_accuracy)
    warm_up()  # before the worker joins and reports ready
    app = create_app(settings)
    level = (loglevel or settings.log_level).lower()
    level = {"warning": "warn", "critical": "crit"}.get(level, level)
    worker = without_spinner(faust.Worker(app, loglevel=level, quiet=True, redirect_stdouts=False))
    worker.execute_from_commandline()  # ends the process with the worker's exit code
