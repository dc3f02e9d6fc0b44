"""The dashboard's Tornado application and a blocking ``serve`` for the command line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.httputil
import tornado.netutil
import tornado.web

from hpo_queue.dashboard.handlers import (
    DashboardContext,
    ForbiddenHostHandler,
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
from hpo_queue.dashboard.hosts import HostPolicy, exposure_warning, host_policy

HERE = Path(__file__).parent
# A study name is one path segment, percent-encoded (so "/" in a name arrives as %2F).
_NAME = r"([^/]+)"
logger = logging.getLogger("hpo_queue.dashboard")


class _HostCheckingApplication(tornado.web.Application):
    """Routes a request whose Host is not the dashboard's own to a 403, static files too."""

    def find_handler(self, request: tornado.httputil.HTTPServerRequest, **kwargs: Any) -> Any:
        policy: HostPolicy = self.settings["hpo_queue_hosts"]
        if not policy.allows(request.host):
            return self.get_handler_delegate(
                request, ForbiddenHostHandler, self.settings["default_handler_args"]
            )
        return super().find_handler(request, **kwargs)


def make_app(
    storage_url: str,
    *,
    refresh_seconds: float = 3.0,
    debug: bool = False,
    hosts: HostPolicy | None = None,
) -> tornado.web.Application:
    """The dashboard for the studies in ``storage_url``.

    ``hosts`` is the set of Host headers it answers (default: those of a 127.0.0.1 bind).
    """
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
    app = _HostCheckingApplication(
        routes,
        template_path=str(HERE / "templates"),
        static_path=str(HERE / "static"),
        default_handler_class=NotFoundHandler,
        default_handler_args=init,
        autoescape="xhtml_escape",
        compress_response=True,
        debug=debug,
        hpo_queue_hosts=hosts if hosts is not None else host_policy("127.0.0.1"),
    )
    app.settings["hpo_queue_context"] = context
    return app


def serve(
    storage_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    refresh_seconds: float = 3.0,
    allowed_hosts: Sequence[str] = (),
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Serve the dashboard until interrupted; ``port=0`` picks a free port.

    Requests are answered only for the Host names of ``host_policy(host, allowed_hosts)``.
    ``on_listening`` is called with the dashboard's URL once it accepts connections.

    Raises:
        ConfigError: an allowed host that is not a host name.
    """
    hosts = host_policy(host, allowed_hosts)

    async def run() -> None:
        app = make_app(storage_url, refresh_seconds=refresh_seconds, hosts=hosts)
        sockets = tornado.netutil.bind_sockets(port, address=host)
        server = tornado.httpserver.HTTPServer(app, xheaders=False)
        server.add_sockets(sockets)
        bound = sockets[0].getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{bound}/"
        # Said once: by the caller's announcement if it has one (the CLI prints its line).
        logger.log(
            logging.DEBUG if on_listening is not None else logging.INFO,
            "Dashboard for %s on %s",
            app.settings["hpo_queue_context"].storage_label,
            url,
        )
        warning = exposure_warning(host)
        if warning is not None:
            logger.warning(warning)
        if on_listening is not None:
            on_listening(url)
        await asyncio.Event().wait()

    asyncio.run(run())
