"""IpAddress / NotIpAddress: CIDR blocks, IPv4 and IPv6."""

from __future__ import annotations

import ipaddress
from typing import Any


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def match(base: str, prepared: Any, value: str) -> bool:
    if prepared is None:
        return False
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        try:
            network = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            return False
        return network.version == prepared.version and network.subnet_of(prepared)
    return address.version == prepared.version and address in prepared
