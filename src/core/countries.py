"""Countries (ISO 3166-1 alpha-2) with English names, from Babel's CLDR data."""

from functools import cache

from babel import Locale

# CLDR territories that are not countries one ships to.
_NOT_COUNTRIES = {
    "EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AQ", "BV", "HM", "TF", "UM", "CP", "DG", "EA", "IC", "AC",
    "TA", "XK",
}


@cache
def countries() -> dict[str, str]:
    names = Locale("en").territories
    pairs = {
        code: name
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }
    return dict(sorted(pairs.items(), key=lambda item: item[1]))


def country_choices() -> list[tuple[str, str]]:
    return list(countries().items())


def country_name(code: str) -> str:
    return countries().get(code, code)


def is_country(code: str) -> bool:
    return code in countries()
