"""Which court and which People's Bank branch, read from the merchant's address (§4, §5a).

A contract settled on the spot is performed at the shop, so the merchant can usually sue at the
basic court of the shop's district or county; a report to the PBoC goes to the branch of the
merchant's city (or province): since the 2023 reform there are no county sub-branches (支行).
An address the rules cannot read gives None, and the letter leaves a blank to fill.
"""

from __future__ import annotations

import re

_MUNICIPALITY = re.compile(r"^(北京|上海|天津|重庆)市?")
_PROVINCE = re.compile(r"^(.{2,8}?(?:省|自治区))")
_CITY = re.compile(r"^(.{2,10}?(?:市|自治州|地区|盟))")
_DISTRICT = re.compile(r"^(.{1,10}?(?:区|县|旗|市))")


def _parts(address: object) -> tuple[str | None, str | None, str | None]:
    """(province or municipality, city, district) of a Chinese address, each None when not found."""
    if not isinstance(address, str):
        return None, None, None
    text = re.sub(r"\s+", "", address)
    found = _MUNICIPALITY.match(text)
    if found:
        city = found.group(1) + "市"
        rest = text[found.end() :]
        district = _DISTRICT.match(rest)
        return city, city, district.group(1) if district else None
    province = _PROVINCE.match(text)
    rest = text[province.end() :] if province else text
    city = _CITY.match(rest)
    if not city:
        return (province.group(1) if province else None), None, None
    rest = rest[city.end() :]
    district = _DISTRICT.match(rest)
    return (province.group(1) if province else None), city.group(1), district.group(1) if district else None


def basic_court(address: object) -> str | None:
    """The basic people's court of the district or county the address lies in."""
    _, city, district = _parts(address)
    if not city or not district:
        return None
    if district.endswith("市"):  # a county-level city has its own court: 昆山市人民法院
        return f"{district}人民法院"
    return f"{city}{district}人民法院"


def pboc_branch(address: object) -> str | None:
    """中国人民银行××市分行 (or ××省分行 when no city is found), never a 支行."""
    province, city, _ = _parts(address)
    place = city or province
    return f"中国人民银行{place}分行" if place else None
