"""IpAddress / NotIpAddress: CIDR blocks, IPv4 and IPv6. Policy variables: no.

"If you specify an IP address without the associated routing prefix, IAM uses the default
prefix value of /32" (IAM User Guide, condition operators, IP address).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from copyguard.evaluate.operators.base import INVALID

VARIABLES = False


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return INVALID


def match(base: str, prepared: Any, value: str) -> bool | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        try:
            network = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            return None
        return network.version == prepared.version and network.subnet_of(prepared)
    return address.version == prepared.version and address in prepared
