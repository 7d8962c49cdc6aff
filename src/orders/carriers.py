"""Carriers and where a parcel can be tracked (ORD-6).

A small registry: each carrier's display name, the other spellings sellers
and tracking feeds use for it, and its public tracking page with a
`{number}` placeholder. `tracking_links` turns an order's carrier and
tracking number into links for people: the carrier's own page when the
carrier is known, then always the global trackers (Cainiao and 17track), so a
carrier typed as free text still gets working links.

Carriers change their websites now and then; this module is the one place
to update. A carrier whose page cannot take the number in its address
(`url` without `{number}`) is linked to its tracking page as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote

NUMBER = "{number}"


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    url: str
    aliases: tuple[str, ...] = ()
    country: str = ""  # ISO code of a national post; blank for international companies

    def tracking_url(self, number: str) -> str:
        return self.url.replace(NUMBER, quote(number, safe=""))


CARRIERS: tuple[Carrier, ...] = (
    Carrier("usps", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
            ("United States Postal Service", "US Postal Service"), "US"),
    Carrier("ups", "UPS", "https://www.ups.com/track?loc=en_US&tracknum={number}",
            ("United Parcel Service",)),
    Carrier("fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}",
            ("Federal Express", "Fed Ex")),
    Carrier("dhl", "DHL",
            "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={number}",
            ("DHL Express", "DHL eCommerce", "Deutsche Post DHL")),
    Carrier("thailand-post", "Thailand Post", "https://track.thailandpost.co.th/?trackNumber={number}",
            ("Thai Post", "ไปรษณีย์ไทย", "EMS Thailand"), "TH"),
    Carrier("lao-post", "Lao Post", "https://laopost.com/",
            ("Laos Post", "Enterprise des Postes Lao", "EPL"), "LA"),
    Carrier("vietnam-post", "Vietnam Post",
            "https://vnpost.vn/en-us/dinh-vi/buu-pham?key={number}",
            ("VNPost", "VN Post", "Bưu điện Việt Nam"), "VN"),
    Carrier("la-poste", "La Poste / Colissimo",
            "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
            ("La Poste", "Colissimo", "Chronopost"), "FR"),
    Carrier("china-post", "China Post", "https://yjcx.ems.com.cn/qps/yjcx?mailNum={number}",
            ("China EMS", "EMS China", "中国邮政"), "CN"),
    Carrier("cainiao", "Cainiao", "https://global.cainiao.com/newDetail.htm?mailNoList={number}",
            ("AliExpress Standard Shipping", "Cainiao Super Economy", "菜鸟")),
    Carrier("royal-mail", "Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
            ("Parcelforce",), "GB"),
    Carrier("correios", "Correios", "https://rastreamento.correios.com.br/app/index.php?objetos={number}",
            ("Correios Brasil", "Brazil Post"), "BR"),
    Carrier("russian-post", "Russian Post", "https://www.pochta.ru/tracking?barcode={number}",
            ("Pochta Rossii", "Почта России"), "RU"),
    Carrier("ukrposhta", "Ukrposhta", "https://track.ukrposhta.ua/tracking_UA.html?barcode={number}",
            ("Ukrainian Post", "Укрпошта"), "UA"),
    Carrier("poczta-polska", "Poczta Polska", "https://emonitoring.poczta-polska.pl/?numer={number}",
            ("Polish Post",), "PL"),
    Carrier("ptt", "PTT", "https://gonderitakip.ptt.gov.tr/Track/Verify?q={number}",
            ("PTT Kargo", "Turkish Post", "Türkiye Posta"), "TR"),
    Carrier("aramex", "Aramex", "https://www.aramex.com/us/en/track/results?ShipmentNumber={number}"),
    Carrier("smsa", "SMSA Express", "https://www.smsaexpress.com/trackingdetails?tracknumbers={number}",
            ("SMSA",)),
    Carrier("japan-post", "Japan Post",
            "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={number}&locale=en",
            ("JP Post", "日本郵便"), "JP"),
    Carrier("korea-post", "Korea Post",
            "https://service.epost.go.kr/trace.RetrieveEmsRigiTraceList.comm?POST_CODE={number}",
            ("ePost Korea", "우체국"), "KR"),
    Carrier("canada-post", "Canada Post",
            "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}",
            ("Postes Canada",), "CA"),
    Carrier("australia-post", "Australia Post", "https://auspost.com.au/mypost/track/details/{number}",
            ("AusPost",), "AU"),
    Carrier("deutsche-post", "Deutsche Post / DHL Paket",
            "https://www.dhl.de/en/privatkunden/pakete-empfangen/verfolgen.html?piececode={number}",
            ("Deutsche Post", "DHL Paket"), "DE"),
    Carrier("correos", "Correos", "https://www.correos.es/es/en/tools/tracker/items/details?tracking-number={number}",
            ("Correos España", "Spanish Post"), "ES"),
    Carrier("poste-italiane", "Poste Italiane",
            "https://www.poste.it/cerca/index.html#/risultati-spedizioni/{number}", ("Italian Post",), "IT"),
    Carrier("sf-express", "SF Express",
            "https://www.sf-express.com/us/en/dynamic_function/waybill/#search/bill-number/{number}",
            ("顺丰", "SF")),
    Carrier("yanwen", "Yanwen", "https://track.yw56.com.cn/en/querydel?nums={number}", ("燕文",)),
    Carrier("yunexpress", "YunExpress", "https://www.yuntrack.com/parcelTracking?id={number}",
            ("Yun Express", "云途")),
    Carrier("4px", "4PX", "https://track.4px.com/#/result/0/{number}", ("4PX Express",)),
    Carrier("kerry", "Kerry Express", "https://th.kerryexpress.com/en/track/?track={number}",
            ("Kerry Express Thailand", "KEX")),
    Carrier("flash", "Flash Express", "https://www.flashexpress.co.th/fle/tracking?se={number}",
            ("Flash",)),
)

# Global trackers, linked for every parcel whatever its carrier (ORD-6).
GLOBAL_TRACKERS: tuple[tuple[str, str], ...] = (
    ("Cainiao", "https://global.cainiao.com/newDetail.htm?mailNoList={number}"),
    ("17track", "https://t.17track.net/en#nums={number}"),
)

OTHER = "other"  # the carrier select's "not in the list" choice


def _key(text: str) -> str:
    """A spelling-insensitive key: “La Poste / Colissimo”, “la-poste” → “laposte colissimo”-like."""
    return re.sub(r"[\W_]+", "", (text or "").casefold())


@cache
def _index() -> dict[str, Carrier]:
    index: dict[str, Carrier] = {}
    for carrier in CARRIERS:
        for spelling in (carrier.code, carrier.name, *carrier.aliases):
            index.setdefault(_key(spelling), carrier)
    return index


def carrier_find(name: str) -> Carrier | None:
    """The registered carrier a seller or a tracking feed means by `name`, or None."""
    key = _key(name)
    return _index().get(key) if key else None


def carrier_name(name: str) -> str:
    """The display name of a known carrier, else the text as given (trimmed)."""
    carrier = carrier_find(name)
    return carrier.name if carrier else (name or "").strip()


def carrier_choices() -> list[tuple[str, str]]:
    """(code, name) of every registered carrier, by name, for a select."""
    return sorted(((c.code, c.name) for c in CARRIERS), key=lambda choice: choice[1].casefold())


def tracking_links(carrier: str, number: str) -> list[tuple[str, str]]:
    """(label, url) to follow the parcel: the carrier's page if known, then Cainiao and 17track.

    The number is URL-encoded; an empty number gives no links.
    """
    number = (number or "").strip()
    if not number:
        return []
    encoded = quote(number, safe="")
    links: list[tuple[str, str]] = []
    known = carrier_find(carrier)
    if known and known.code != "cainiao":
        label = known.name if NUMBER in known.url else f"{known.name} (tracking page)"
        links.append((label, known.tracking_url(number)))
    links.extend((label, url.replace(NUMBER, encoded)) for label, url in GLOBAL_TRACKERS)
    return links
