"""The dashboard command: serve the study dashboard for a storage."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hpo_queue.cli import _common
from hpo_queue.settings import Settings


def register(subparsers: Any) -> None:
    parser = _common.add_command(
        subparsers,
        "dashboard",
        summary="serve a web dashboard of the studies: live counts, plots, trials, /metrics",
        description=(
            "Serve a web dashboard of every study in the storage: trials by state and by\n"
            "worker, refreshed while studies run; optimization history, parallel\n"
            "coordinates, parameter importance and intermediate values; the trials table.\n"
            "Also a JSON API under /api/studies and Prometheus metrics at /metrics.\n"
            "Everything is served by this process (no CDN), so it works offline."
        ),
        examples="""\
  hpo-queue dashboard --storage mysql://user:pass@db/hpo          # http://127.0.0.1:8080/
  hpo-queue dashboard --storage sqlite:///hpo.db --port 9000
  hpo-queue dashboard --host 0.0.0.0 --port 8080   # reachable from other machines
  hpo-queue dashboard --allowed-host dash.example.com   # served by a proxy under that name
  curl -s localhost:8080/api/studies; curl -s localhost:8080/metrics
""",
    )
    _common.add_storage_option(parser)
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on; 0 picks a free one (8080)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; the dashboard "
        "has no login, so expose it only behind a proxy with authentication)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="NAME",
        help="also answer requests for this Host name, e.g. the name a proxy serves it as "
        "(repeatable; default: HPO_DASHBOARD_ALLOWED_HOSTS). Other names get 403, which stops "
        "DNS-rebinding pages; localhost, loopback and the --host address are always answered",
    )
    parser.add_argument(
        "--refresh",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="how often the pages refresh their data (default: 3)",
    )
    parser.set_defaults(handler=_dashboard)


def _dashboard(args: argparse.Namespace) -> int:
    url = _common.storage_url(args)
    _common.check_reachable(url, must_exist=True)
    if not 0 <= args.port <= 65535:
        raise _common.UsageError(f"--port must be between 0 and 65535, got {args.port}.")
    if args.refresh <= 0:
        raise _common.UsageError(f"--refresh must be positive, got {args.refresh}.")
    allowed = args.allowed_host
    if allowed is None:
        allowed = Settings.load().dashboard_allowed_hosts
    try:
        from hpo_queue.dashboard import serve
    except ModuleNotFoundError as exc:
        raise _common.UsageError(
            f"the dashboard needs {exc.name!r}: pip install 'hpo-queue[flower]' (or tornado)."
        ) from None

    def announce(address: str) -> None:
        print(f"Dashboard on {address} (Ctrl-C to stop)", flush=True)

    try:
        serve(
            url,
            host=args.host,
            port=args.port,
            refresh_seconds=args.refresh,
            allowed_hosts=allowed,
            on_listening=announce,
        )
    except OSError as exc:
        raise _common.UsageError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
            "choose another --port."
        ) from None
    except KeyboardInterrupt:
        print("Dashboard stopped.", file=sys.stderr)
    return 0
