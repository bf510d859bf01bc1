"""Canonical URLs: tracking parameters and fragments gone (courlan), AMP and mobile variants folded."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url

__all__ = ["canonical_url", "domain_of"]

_AMP_PATH = re.compile(r"(/amp)(?=/|$)|(\.amp)(?=$|\.html?$)", re.IGNORECASE)
_MOBILE_HOST = re.compile(r"^(m|mobile|amp)\.", re.IGNORECASE)
_EXTRA_TRACKING = re.compile(
    r"^(fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|ref|ref_src|cmpid|ocid|outputtype|amp)$",
    re.IGNORECASE,
)


def canonical_url(url: str | None) -> str | None:
    """The canonical form of an http(s) URL, or ``None`` for anything else."""
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    try:
        normalised = normalize_url(url, strict=True)
        parts = urlsplit(normalised)
    except (ValueError, TypeError):
        return None
    if not parts.hostname:
        return None
    host = _MOBILE_HOST.sub("", parts.netloc.lower())
    path = _AMP_PATH.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not _EXTRA_TRACKING.match(pair.split("=", 1)[0])
    )
    return urlunsplit(("https" if parts.scheme in {"http", "https"} else parts.scheme, host, path, query, ""))


def domain_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower()
    return host[4:] if host.startswith("www.") else host
