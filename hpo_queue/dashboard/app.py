"""The dashboard's Tornado application and a blocking ``serve`` for the command line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import tornado.httpserver
import tornado.netutil
import tornado.web

from hpo_queue.dashboard.handlers import (
    DashboardContext,
    MetricsHandler,
    NotFoundHandler,
    PlotHandler,
    StudiesApiHandler,
    StudiesPageHandler,
    StudyApiHandler,
    StudyPageHandler,
    TrialApiHandler,
    TrialPageHandler,
    TrialsApiHandler,
)

HERE = Path(__file__).parent
# A study name is one path segment, percent-encoded (so "/" in a name arrives as %2F).
_NAME = r"([^/]+)"


def make_app(
    storage_url: str, *, refresh_seconds: float = 3.0, debug: bool = False
) -> tornado.web.Application:
    """The dashboard for the studies in ``storage_url``."""
    context = DashboardContext(storage_url, refresh_seconds=refresh_seconds)
    init = {"context": context}
    routes = [
        (r"/", StudiesPageHandler, init),
        (rf"/studies/{_NAME}/?", StudyPageHandler, init),
        (rf"/studies/{_NAME}/trials/([^/]+)/?", TrialPageHandler, init),
        (r"/api/studies/?", StudiesApiHandler, init),
        (rf"/api/studies/{_NAME}/?", StudyApiHandler, init),
        (rf"/api/studies/{_NAME}/trials/?", TrialsApiHandler, init),
        (rf"/api/studies/{_NAME}/trials/([^/]+)/?", TrialApiHandler, init),
        (rf"/api/studies/{_NAME}/plots/([A-Za-z0-9_-]+)\.svg", PlotHandler, init),
        (r"/metrics", MetricsHandler, init),
    ]
    app = tornado.web.Application(
        routes,
        template_path=str(HERE / "templates"),
        static_path=str(HERE / "static"),
        default_handler_class=NotFoundHandler,
        default_handler_args=init,
        autoescape="xhtml_escape",
        compress_response=True,
        debug=debug,
    )
    app.settings["hpo_queue_context"] = context
    return app


def serve(
    storage_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    refresh_seconds: float = 3.0,
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Serve the dashboard until interrupted; ``port=0`` picks a free port.

    ``on_listening`` is called with the dashboard's URL once it accepts connections.
    """

    async def run() -> None:
        app = make_app(storage_url, refresh_seconds=refresh_seconds)
        sockets = tornado.netutil.bind_sockets(port, address=host)
        server = tornado.httpserver.HTTPServer(app, xheaders=False)
        server.add_sockets(sockets)
        bound = sockets[0].getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{bound}/"
        logging.getLogger("hpo_queue.dashboard").info(
            "Dashboard for %s on %s", app.settings["hpo_queue_context"].storage_label, url
        )
        if on_listening is not None:
            on_listening(url)
        await asyncio.Event().wait()

    asyncio.run(run())
