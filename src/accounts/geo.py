"""Which country an IP address is in: a pluggable lookup (ACC-5).

settings.IP_COUNTRY_LOOKUP names a function ``(ip: str) -> str`` returning an
ISO country code or "" when unknown. The default, `table_lookup`, reads the
small local table core/data/ip_countries.csv (network,country); a deployment
can plug in a fuller database (e.g. a GeoIP reader) behind the same function.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

TABLE = Path(__file__).resolve().parent.parent / "core" / "data" / "ip_countries.csv"


@cache
def _table() -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        network, _sep, country = line.partition(",")
        rows.append((ipaddress.ip_network(network.strip()), country.strip().upper()))
    # the most specific network wins
    rows.sort(key=lambda row: row[0].prefixlen, reverse=True)
    return rows


def table_lookup(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    for network, country in _table():
        if address.version == network.version and address in network:
            return country
    return ""


def ip_country(ip: str) -> str:
    lookup = import_string(getattr(settings, "IP_COUNTRY_LOOKUP", "accounts.geo.table_lookup"))
    return lookup(ip or "") or ""
