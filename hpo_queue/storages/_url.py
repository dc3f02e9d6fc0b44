"""Storage URLs: turning what users type into SQLAlchemy URLs, and showing them safely."""

from __future__ import annotations

import re

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from hpo_queue.exceptions import StorageURLError

IN_MEMORY_URL = "sqlite://"

_DRIVER_FOR_DIALECT = {
    # PyMySQL is pure Python and installed with hpo-queue: users write mysql://.
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "postgres": "postgresql",
}


def normalize_url(url: str | None) -> URL:
    """Parse a storage URL, choosing PyMySQL for mysql:// and utf8mb4 for MySQL.

    Raises:
        StorageURLError: the URL cannot be parsed or names an unsupported database.
    """
    if url is None:
        url = IN_MEMORY_URL
    if not isinstance(url, str) or not url.strip():
        raise StorageURLError(f"A storage URL must be a non-empty string, got {url!r}.")
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StorageURLError(
            f"Could not parse storage URL {mask_url(url)!r}; expected e.g. "
            "mysql://user@host/db, sqlite:///file.db or postgresql://user@host/db."
        ) from None
    if parsed.host and "@" in parsed.host:
        raise StorageURLError(
            f"Storage URL {mask_url(url)!r} has more than one '@' before its host; write an @ "
            "in a user name or password as %40."
        )
    drivername = _DRIVER_FOR_DIALECT.get(parsed.drivername, parsed.drivername)
    dialect = drivername.split("+")[0]
    if dialect not in ("mysql", "sqlite", "postgresql"):
        raise StorageURLError(
            f"Unsupported database {parsed.drivername!r} in storage URL; "
            "use mysql://, sqlite:/// or postgresql://."
        )
    if dialect == "sqlite" and parsed.host:
        raise StorageURLError(
            f"SQLite URL {mask_url(url)!r} names a host; a file is sqlite:///relative.db "
            "(three slashes) or sqlite:////absolute/path.db (four)."
        )
    if drivername == "postgresql":
        drivername = _postgres_driver()
    parsed = parsed.set(drivername=drivername)
    if dialect == "mysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    if dialect in ("mysql", "postgresql") and not parsed.database:
        raise StorageURLError(
            f"Storage URL {mask_url(url)!r} names no database; add one, e.g. .../example."
        )
    return parsed


def _postgres_driver() -> str:
    """postgresql:// means psycopg2 to SQLAlchemy; take psycopg 3 when only it is installed."""
    import importlib.util

    if importlib.util.find_spec("psycopg2") is None and importlib.util.find_spec("psycopg"):
        return "postgresql+psycopg"
    return "postgresql"


_SCHEME_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:/*")


def mask_url(url: str | URL | None) -> str:
    """The URL with any password replaced by ***, for logs and error messages.

    A string is masked by its text, not by parsing it: a malformed URL (``mysql:/u:pw@h``,
    a password with an unencoded ``@``) must not show its password either. Everything
    between the user name and the last ``@`` is the password, which may hide a little more
    than needed, never less.
    """
    if url is None:
        return "in-memory"
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    text = str(url)
    match = _SCHEME_PREFIX.match(text)
    prefix, rest = (match.group(0), text[match.end() :]) if match else ("", text)
    userinfo, at, host = rest.rpartition("@")
    if not at:
        return text
    if ":" not in userinfo:
        # "user@host" has no password, but in "u:pw@h" the "u:" looked like a scheme.
        return text if "/" in prefix or not prefix else f"{prefix}***@{host}"
    user = userinfo.split(":", 1)[0]
    return f"{prefix}{user}:***@{host}"


# Anything shaped like "scheme:...user:password@host" inside free text (argparse quotes what
# was typed): "word:" then no blank or quote up to an "@" and what follows it.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s'\"]*@[^\s'\",)]*")


def mask_urls_in_text(text: str) -> str:
    """``text`` with every URL-shaped part holding a password masked as :func:`mask_url` does.

    For messages that quote what a user typed (an unknown argument, a bad choice), where the
    URLs are not known beforehand.
    """
    return _URL_IN_TEXT.sub(lambda match: mask_url(match.group(0)), text)


def url_scheme(url: str) -> str:
    """The scheme of ``url`` ("redis"), or "" when it has none; never any other part of it."""
    match = _SCHEME_PREFIX.match(url)
    if not match or "://" not in url[: match.end()]:
        return ""
    return url.split("://", 1)[0].lower()
