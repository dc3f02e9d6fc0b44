"""The dashboard's request handlers: three HTML pages, a JSON API, SVG plots and /metrics."""

from __future__ import annotations

import functools
import json
import logging
import urllib.parse
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import tornado.web
from tornado.ioloop import IOLoop

from hpo_queue.dashboard import payloads
from hpo_queue.exceptions import (
    HpoQueueError,
    InvalidInputError,
    StudyNotFoundError,
    TrialNotFoundError,
)
from hpo_queue.storages import RDBStorage, get_storage, mask_url
from hpo_queue.visualization.svg import PLOT_KINDS, SCALES, plot_kinds_for

logger = logging.getLogger("hpo_queue.dashboard")
T = TypeVar("T")

# Scripts, styles and plots come only from this server: nothing inline, nothing from a CDN.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class DashboardContext:
    """What every handler shares: the storage, a thread pool for its calls, counters."""

    def __init__(self, storage_url: str, *, refresh_seconds: float = 3.0) -> None:
        self.storage: RDBStorage = get_storage(storage_url)
        self.storage_label = mask_url(storage_url)
        self.refresh_seconds = refresh_seconds
        # Storage calls block: run them off the event loop so one slow query stalls no page.
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hq-dashboard")
        self.requests: Counter[tuple[str, int]] = Counter()
        self.plots = payloads.PlotCache()


def study_path(prefix: str, study_name: str, suffix: str = "") -> str:
    """A URL path with the study name as one escaped segment (``/`` and all)."""
    return f"{prefix}{urllib.parse.quote(study_name, safe='')}{suffix}"


class ApiError(tornado.web.HTTPError):
    """An error the client should see as ``{"error": message}`` with this status."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(status_code)
        self.message = message


class BaseHandler(tornado.web.RequestHandler):
    """Security headers, the request counter, and errors as JSON (API) or a small page."""

    metric_name = "other"
    is_api = False

    def initialize(self, context: DashboardContext) -> None:
        self.context = context

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Frame-Options", "DENY")

    async def blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` in the thread pool, turning hpo-queue errors into API errors."""
        call = functools.partial(fn, *args, **kwargs)
        try:
            return await IOLoop.current().run_in_executor(self.context.executor, call)
        except (StudyNotFoundError, TrialNotFoundError) as exc:
            raise ApiError(404, _message(exc)) from None
        except (InvalidInputError, ValueError) as exc:
            raise ApiError(400, _message(exc)) from None
        except HpoQueueError as exc:
            raise ApiError(503, _message(exc)) from None

    def write_json(self, payload: Any) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(payloads.jsonable(payload), allow_nan=False))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            message = exc.message
        elif status_code == 404:
            message = "Not found."
        elif status_code >= 500:
            message = "Internal error; see the dashboard's log."
        else:
            message = self._reason
        self.clear_header("Content-Type")
        if self.is_api:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"error": message, "status": status_code}))
        else:
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(
                self.render_string(
                    "error.html",
                    status=status_code,
                    message=message,
                    storage=self.context.storage_label,
                )
            )

    def on_finish(self) -> None:
        self.context.requests[(self.metric_name, self.get_status())] += 1


def _message(exc: BaseException) -> str:
    text = str(exc.args[0]) if exc.args else str(exc)
    return text.strip() or type(exc).__name__


class StudiesPageHandler(BaseHandler):
    """``/``: the studies list (filled in and refreshed by the page's script)."""

    metric_name = "studies_page"

    def get(self) -> None:
        self.render(
            "studies.html",
            storage=self.context.storage_label,
            refresh_ms=int(self.context.refresh_seconds * 1000),
        )


def _scale_argument(handler: tornado.web.RequestHandler) -> str:
    scale = handler.get_query_argument("scale", "linear")
    if scale not in SCALES:
        raise ApiError(400, f"scale must be one of {', '.join(SCALES)}, got {scale!r}.")
    return scale


def _number_argument(text: str, what: str) -> int:
    if not text.isdigit():
        raise ApiError(400, f"{what} must be a whole number, got {text!r}.")
    return int(text)


class StudyPageHandler(BaseHandler):
    """``/studies/<name>?scale=log``: one study's live counts, plots and trials.

    A multi-objective study shows its Pareto front where a single objective's history would
    be; ``scale=log`` draws the history on a log scale.
    """

    metric_name = "study_page"

    async def get(self, study_name: str) -> None:
        scale = _scale_argument(self)
        record = await self.blocking(self.context.storage.get_study, study_name)
        self.render(
            "study.html",
            storage=self.context.storage_label,
            study_name=record.study_name,
            directions=[d.name.lower() for d in record.directions],
            api_url=study_path("/api/studies/", record.study_name),
            study_url=study_path("/studies/", record.study_name),
            refresh_ms=int(self.context.refresh_seconds * 1000),
            plot_kinds=plot_kinds_for(len(record.directions)),
            wide_kinds=WIDE_PLOT_KINDS,
            scale=scale,
        )


# Plots that can be wider than a grid cell (one axis per parameter) get a whole row.
WIDE_PLOT_KINDS = ("parallel",)


class TrialPageHandler(BaseHandler):
    """``/studies/<name>/trials/<number>``: one trial: values, params, attrs, fail reason."""

    metric_name = "trial_page"

    async def get(self, study_name: str, number_text: str) -> None:
        number = _number_argument(number_text, "the trial number")
        trial = await self.blocking(
            payloads.trial_payload, self.context.storage, study_name, number
        )
        self.render(
            "trial.html",
            storage=self.context.storage_label,
            trial=trial,
            show=payloads.display,
            study_url=study_path("/studies/", trial["study"]),
            api_url=study_path("/api/studies/", trial["study"], f"/trials/{number}"),
        )


class TrialApiHandler(BaseHandler):
    """``/api/studies/<name>/trials/<number>``: one trial, everything stored about it."""

    metric_name = "api_trial"
    is_api = True

    async def get(self, study_name: str, number_text: str) -> None:
        number = _number_argument(number_text, "the trial number")
        self.write_json(
            await self.blocking(payloads.trial_payload, self.context.storage, study_name, number)
        )


class StudiesApiHandler(BaseHandler):
    """``/api/studies``: every study with counts by state and best trial."""

    metric_name = "api_studies"
    is_api = True

    async def get(self) -> None:
        studies = await self.blocking(payloads.studies_payload, self.context.storage)
        for study in studies:
            study["url"] = study_path("/studies/", study["name"])
            study["api_url"] = study_path("/api/studies/", study["name"])
        self.write_json({"storage": self.context.storage_label, "studies": studies})


class StudyApiHandler(BaseHandler):
    """``/api/studies/<name>``: live counts by state and worker, best trial, throughput."""

    metric_name = "api_study"
    is_api = True

    async def get(self, study_name: str) -> None:
        self.write_json(
            await self.blocking(payloads.study_payload, self.context.storage, study_name)
        )


class TrialsApiHandler(BaseHandler):
    """``/api/studies/<name>/trials?state=COMPLETE&limit=100&order=asc``: the trials table."""

    metric_name = "api_trials"
    is_api = True

    async def get(self, study_name: str) -> None:
        limit = _trials_limit(self.get_query_argument("limit", None))
        order = self.get_query_argument("order", "desc")
        if order not in ("asc", "desc"):
            raise ApiError(400, f"order must be asc or desc, got {order!r}.")
        states = [s for arg in self.get_query_arguments("state") for s in arg.split(",") if s]
        self.write_json(
            await self.blocking(
                payloads.trials_payload,
                self.context.storage,
                study_name,
                states=states,
                limit=limit,
                newest_first=order == "desc",
            )
        )


def _trials_limit(text: str | None) -> int:
    """The ``limit`` query argument: 1 to MAX_TRIALS_LIMIT, so no request asks for everything."""
    if text is None:
        return payloads.DEFAULT_TRIALS_LIMIT
    shown = text if len(text) <= 40 else text[:40] + "..."
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()) or len(stripped) > 9:
        limit = -1
    else:
        limit = int(stripped)
    if not 1 <= limit <= payloads.MAX_TRIALS_LIMIT:
        raise ApiError(
            400,
            f"limit must be a whole number from 1 to {payloads.MAX_TRIALS_LIMIT}, got {shown!r}.",
        )
    return limit


class PlotHandler(BaseHandler):
    """``/api/studies/<name>/plots/<kind>.svg?objective=0&scale=log``: a standalone SVG plot."""

    metric_name = "api_plot"
    is_api = True

    async def get(self, study_name: str, kind: str) -> None:
        if kind not in PLOT_KINDS:
            raise ApiError(404, f"no plot {kind!r}; use one of {', '.join(PLOT_KINDS)}.")
        index_text = self.get_query_argument("objective", "0")
        if not index_text.isdigit():
            raise ApiError(400, f"objective must be an objective index, got {index_text!r}.")
        scale = _scale_argument(self)
        svg = await self.blocking(
            self.context.plots.plot,
            self.context.storage,
            study_name,
            kind,
            int(index_text),
            scale,
        )
        self.set_header("Content-Type", "image/svg+xml; charset=utf-8")
        # Revalidate every time: Tornado answers 304 when the SVG (and so its ETag) is unchanged.
        self.set_header("Cache-Control", "no-cache")
        self.finish(svg)


class MetricsHandler(BaseHandler):
    """``/metrics``: Prometheus gauges of trials by study and state, and best values."""

    metric_name = "metrics"
    is_api = True

    async def get(self) -> None:
        summaries = await self.blocking(self.context.storage.list_study_summaries)
        self.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(payloads.metrics_text(summaries, dict(self.context.requests)))


class ForbiddenHostHandler(BaseHandler):
    """A request for a Host the dashboard is not served as (DNS rebinding): 403, plain text."""

    metric_name = "forbidden_host"

    def prepare(self) -> None:
        name = self.request.host if len(self.request.host) <= 80 else self.request.host[:80]
        self.set_status(403)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(
            f"403: this dashboard is not served as {name!r}. If that is its name (behind a "
            "proxy), start it with --allowed-host NAME or HPO_DASHBOARD_ALLOWED_HOSTS.\n"
        )


class NotFoundHandler(BaseHandler):
    """Anything else: 404, as JSON under /api/."""

    metric_name = "not_found"

    def prepare(self) -> None:
        self.is_api = self.request.path.startswith("/api/")
        raise ApiError(404, f"No such page: {self.request.path}")
