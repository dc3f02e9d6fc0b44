"""A web dashboard for the studies in a storage: live counts, plots, trials and /metrics.

Run it with ``hpo-queue dashboard --storage URL``; it needs Tornado (installed with Flower).
"""

from __future__ import annotations

from hpo_queue.dashboard.app import make_app, serve

__all__ = ["make_app", "serve"]
