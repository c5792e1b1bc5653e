"""IpAddress / NotIpAddress: CIDR blocks, IPv4 and IPv6. Policy variables: no.

"If you specify an IP address without the associated routing prefix, IAM uses the default
prefix value of /32" (IAM User Guide, condition operators, IP address).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from copyguard.evaluate.operators.base import INVALID

VARIABLES = False


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return INVALID


#: Request values at most this long are remembered once read (an IPv6 network in full is
#: 43 characters), so a request's address is read once however many statements compare it.
MEMO_MAX_CHARS = 64

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_NETWORKS = (ipaddress.IPv4Network, ipaddress.IPv6Network)


def _read_request_value(value: str) -> _Address | _Network | None:
    """The address (or network) a request value names; None when it names neither."""
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        try:
            return ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            return None


_read_memo = lru_cache(maxsize=4096)(_read_request_value)


def match(base: str, prepared: Any, value: str) -> bool | None:
    read = _read_memo(value) if len(value) <= MEMO_MAX_CHARS else _read_request_value(value)
    if read is None:
        return None
    if isinstance(read, _NETWORKS):
        return read.version == prepared.version and read.subnet_of(prepared)
    return read.version == prepared.version and read in prepared
