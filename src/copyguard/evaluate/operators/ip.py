"""IpAddress / NotIpAddress: CIDR blocks, IPv4 and IPv6. Policy variables: no.

"If you specify an IP address without the associated routing prefix, IAM uses the default
prefix value of /32" (IAM User Guide, condition operators, IP address).
"""

from __future__ import annotations

from functools import lru_cache

from copyguard.evaluate.operators.base import INVALID

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ipaddress
    from typing import Any

    _Address = ipaddress.IPv4Address | ipaddress.IPv6Address
    _Network = ipaddress.IPv4Network | ipaddress.IPv6Network
else:  # imported by the first IP condition (_ipaddress): start-up time
    ipaddress = None

VARIABLES = False


def _ipaddress() -> Any:
    """The ``ipaddress`` module, bound to this module's ``ipaddress`` on first use (a module
    already bound there, e.g. by a test, is kept)."""
    global ipaddress
    if ipaddress is None:
        import ipaddress
    return ipaddress


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    try:
        return _ipaddress().ip_network(text.strip(), strict=False)
    except ValueError:
        return INVALID


#: Request values at most this long are remembered once read (an IPv6 network in full is
#: 43 characters), so a request's address is read once however many statements compare it.
MEMO_MAX_CHARS = 64


def _read_request_value(value: str) -> _Address | _Network | None:
    """The address (or network) a request value names; None when it names neither."""
    module = _ipaddress()
    try:
        address: _Address = module.ip_address(value.strip())
        return address
    except ValueError:
        try:
            network: _Network = module.ip_network(value.strip(), strict=False)
            return network
        except ValueError:
            return None


_read_memo = lru_cache(maxsize=4096)(_read_request_value)

#: ``(IPv4Network, IPv6Network)`` once a request value was compared (see _networks)
_NETWORKS: tuple[type[ipaddress.IPv4Network], type[ipaddress.IPv6Network]] | None = None


def _networks() -> tuple[type[ipaddress.IPv4Network], type[ipaddress.IPv6Network]]:
    global _NETWORKS
    from ipaddress import IPv4Network, IPv6Network  # the real classes, whatever is bound above

    _NETWORKS = (IPv4Network, IPv6Network)
    return _NETWORKS


def match(base: str, prepared: Any, value: str) -> bool | None:
    read = _read_memo(value) if len(value) <= MEMO_MAX_CHARS else _read_request_value(value)
    if read is None:
        return None
    networks = _NETWORKS if _NETWORKS is not None else _networks()
    if isinstance(read, networks):
        return read.version == prepared.version and read.subnet_of(prepared)
    return read.version == prepared.version and read in prepared
