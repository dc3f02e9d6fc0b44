"""Which Host headers the dashboard answers: its guard against DNS rebinding.

A web page on ``evil.example`` can make its name resolve to 127.0.0.1 and then read a dashboard
on this machine as same-origin. The browser still sends ``Host: evil.example``, so answering only
the names the dashboard is served as stops it. An IP address in the Host header involves no DNS
and so cannot be rebound.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from hpo_queue.exceptions import ConfigError

LOCAL_NAMES = frozenset({"localhost"})
# Binding to one of these listens on every address of the machine.
WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::", "*"})
ANY_HOST = "*"


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_loopback(address: str) -> bool:
    """Whether listening on ``address`` keeps the dashboard on this machine."""
    if address.lower() in LOCAL_NAMES:
        return True
    ip = _ip(address.strip("[]"))
    return ip is not None and ip.is_loopback


def host_name(header: str) -> str:
    """The name in a Host header: lower case, without port, brackets or a final dot."""
    text = header.strip().lower()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif _ip(text) is None:  # a bare IPv6 address (a bind address) has no port to cut
        name, colon, port = text.rpartition(":")
        if colon and port.isdigit():
            text = name
    ip = _ip(text)
    return str(ip) if ip is not None else text.rstrip(".")


def _normalized(name: str) -> str:
    cleaned = name.strip()
    if cleaned == ANY_HOST:
        return ANY_HOST
    if not cleaned or any(ch in cleaned for ch in "/@ \t\n,"):
        raise ConfigError(
            f"allowed host {name!r} is not a host name; give a bare name or address "
            "such as dashboard.example.com or 10.0.0.5 (or * for any)."
        )
    return host_name(cleaned)


@dataclass(frozen=True)
class HostPolicy:
    """The Host names the dashboard answers; everything else is refused with 403.

    Attributes:
        names: accepted names and addresses (normalized by ``host_name``).
        any_address: accept any IP address (a wildcard bind listens on all of them).
        any_host: accept every Host (``--allowed-host '*'``): the check is off.
    """

    names: frozenset[str]
    any_address: bool = False
    any_host: bool = False

    def allows(self, header: str) -> bool:
        """Whether a request with this Host header is answered."""
        if self.any_host:
            return True
        name = host_name(header)
        ip = _ip(name)
        if ip is not None and (ip.is_loopback or self.any_address):
            return True
        return name in self.names


def host_policy(bind_host: str, allowed_hosts: Iterable[str] = ()) -> HostPolicy:
    """The policy of a dashboard listening on ``bind_host``.

    Always accepted: ``localhost`` and loopback addresses, the bind address, and every name
    in ``allowed_hosts`` (the names a proxy serves it as; ``*`` turns the check off). A
    wildcard bind (0.0.0.0, ::) also accepts any IP address and this machine's host name.

    Raises:
        ConfigError: an allowed host that is not a host name (a URL, an empty string).
    """
    extra = {_normalized(name) for name in allowed_hosts}
    names = set(LOCAL_NAMES) | (extra - {ANY_HOST})
    wildcard = bind_host.strip() in WILDCARD_ADDRESSES
    if wildcard:
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    else:
        names.add(host_name(bind_host))
    return HostPolicy(frozenset(names), any_address=wildcard, any_host=ANY_HOST in extra)


def exposure_warning(bind_host: str) -> str | None:
    """The warning to print when ``bind_host`` makes the dashboard reachable from elsewhere."""
    if is_loopback(bind_host):
        return None
    shown = "all addresses" if bind_host.strip() in WILDCARD_ADDRESSES else bind_host
    return (
        f"The dashboard listens on {shown} and has no login: anyone who can reach it sees "
        "every study. Put it behind a proxy with authentication, or use --host 127.0.0.1."
    )
