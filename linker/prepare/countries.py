"""Nationalities and countries as ISO 3166-1 alpha-2 codes, however a source writes them.

``country_code`` reads alpha-2 and alpha-3 codes, English and French country names (pycountry
and its French translations: ``Maroc``, ``Royaume-Uni``, ``Syrienne, République arabe``) and
nationality adjectives in English and in French, masculine and feminine (``NATIONALITIES``
below: ``afghane``, ``Moroccan``, ``française``). Case and accents are folded first, so
``FRANÇAISE``, ``francaise`` and ``Française`` are one value. ``normalise_countries`` writes
each value as its code, or folded as written when it names no country (never an error).

Kosovo, absent from ISO 3166, takes the code ``XK`` that the EU and most issuers use.
"""

from __future__ import annotations

import functools
import gettext
from collections import defaultdict

import pandas as pd

from linker.io import LIST_SEPARATOR
from linker.prepare.text import map_distinct, normalise_one

COUNTRY_FIELDS = ("nationality", "country")  # the canonical fields written as codes

# code -> nationality adjectives (English; French masculine and feminine), and the country
# names pycountry does not give in their everyday form (Turkey, Kosovo, UK, Holland...).
# Written folded: lower-case ASCII words.
NATIONALITIES: dict[str, tuple[str, ...]] = {
    "AF": ("afghan", "afghani", "afghane"),
    "SY": ("syrian", "syrien", "syrienne", "syria", "syrie"),
    "IQ": ("iraqi", "irakien", "irakienne", "iraquien", "iraquienne", "irak"),
    "IR": ("iranian", "iranien", "iranienne", "iran", "persia", "perse"),
    "ER": ("eritrean", "erythreen", "erythreenne"),
    "SD": ("sudanese", "soudanais", "soudanaise"),
    "SS": ("south sudanese", "sud soudanais", "sud soudanaise"),
    "SO": ("somali", "somalian", "somalien", "somalienne"),
    "ET": ("ethiopian", "ethiopien", "ethiopienne"),
    "NG": ("nigerian", "nigeriane"),  # French nigérian(e) is Nigeria, nigérien(ne) Niger
    "NE": ("nigerien", "nigerienne"),
    "GN": ("guinean", "guineen", "guineenne", "guinee conakry"),
    "ML": ("malian", "malien", "malienne"),
    "SN": ("senegalese", "senegalais", "senegalaise"),
    "CI": ("ivorian", "ivoirien", "ivoirienne", "ivory coast", "cote divoire"),
    "CM": ("cameroonian", "camerounais", "camerounaise"),
    "MA": ("moroccan", "marocain", "marocaine"),
    "DZ": ("algerian", "algerien", "algerienne"),
    "TN": ("tunisian", "tunisien", "tunisienne"),
    "LY": ("libyan", "libyen", "libyenne", "libya", "libye"),
    "EG": ("egyptian", "egyptien", "egyptienne"),
    "TR": ("turkish", "turc", "turque", "turkey", "turquie"),
    "PK": ("pakistani", "pakistanais", "pakistanaise"),
    "BD": ("bangladeshi", "bangladais", "bangladaise", "bangladeshais", "bangladeshaise"),
    "IN": ("indian", "indien", "indienne"),
    "LK": ("sri lankan", "sri lankais", "sri lankaise", "srilankais", "srilankaise"),
    "VN": ("vietnamese", "vietnamien", "vietnamienne", "vietnam", "viet nam"),
    "CN": ("chinese", "chinois", "chinoise"),
    "AL": ("albanian", "albanais", "albanaise"),
    "XK": ("kosovo", "kosovar", "kosovan", "kosovare"),
    "RS": ("serbian", "serb", "serbe"),
    "RO": ("romanian", "roumain", "roumaine"),
    "BG": ("bulgarian", "bulgare"),
    "UA": ("ukrainian", "ukrainien", "ukrainienne"),
    "RU": ("russian", "russe", "russia", "russie"),
    "GE": ("georgian", "georgien", "georgienne"),
    "AM": ("armenian", "armenien", "armenienne"),
    "FR": ("french", "francais", "francaise"),
    "BE": ("belgian", "belge"),
    "DE": ("german", "allemand", "allemande"),
    "IT": ("italian", "italien", "italienne"),
    "ES": ("spanish", "espagnol", "espagnole"),
    "GB": (
        "british",
        "britannique",
        "english",
        "anglais",
        "anglaise",
        "uk",
        "great britain",
        "grande bretagne",
        "england",
        "angleterre",
        "royaume uni",
    ),
    "NL": ("dutch", "neerlandais", "neerlandaise", "hollandais", "hollandaise", "holland"),
    "TD": ("chadian", "tchadien", "tchadienne"),
    "GM": ("gambian", "gambien", "gambienne"),
    "GH": ("ghanaian", "ghaneen", "ghaneenne"),
    "BF": ("burkinabe",),
    "MR": ("mauritanian", "mauritanien", "mauritanienne"),
    "SL": ("sierra leonean", "sierra leonais", "sierra leonaise"),
    "YE": ("yemeni", "yemenite"),
    "PS": ("palestinian", "palestinien", "palestinienne", "palestine"),
    "LB": ("lebanese", "libanais", "libanaise"),
    "NP": ("nepali", "nepalese", "nepalais", "nepalaise"),
    "MD": ("moldovan", "moldave", "moldova"),
    "BA": ("bosnian", "bosnien", "bosnienne"),
    "MK": ("macedonian", "macedonien", "macedonienne"),
    "PL": ("polish", "polonais", "polonaise"),
    "PT": ("portuguese", "portugais", "portugaise"),
    "GR": ("greek", "grec", "grecque"),
    "CH": ("swiss", "suisse"),
    "AT": ("austrian", "autrichien", "autrichienne"),
    "US": ("american", "americain", "americaine", "usa", "etats unis"),
}


@functools.cache
def _codes_by_form() -> dict[str, str]:
    """Folded form -> alpha-2 code, built on first use (pycountry reads its data lazily)."""
    import pycountry

    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    names: dict[str, str] = {}
    # "Korea, Republic of" -> "korea": kept only when it names one country (not both Koreas).
    heads: defaultdict[str, set[str]] = defaultdict(set)
    for country in pycountry.countries:
        code = country.alpha_2
        written = [
            getattr(country, attribute, None)
            for attribute in ("name", "common_name", "official_name")
        ]
        for name in [w for w in written if w]:
            for form in (name, french.gettext(name)):
                names[normalise_one(form)] = code
                if "," in form:
                    heads[normalise_one(form.split(",")[0])].add(code)
    forms = {head: codes.pop() for head, codes in heads.items() if len(codes) == 1}
    forms.update(names)
    for country in pycountry.countries:
        forms[country.alpha_2.lower()] = country.alpha_2
        forms[country.alpha_3.lower()] = country.alpha_2
    forms["xk"] = forms["xkx"] = "XK"
    for code, words in NATIONALITIES.items():
        forms.update(dict.fromkeys(words, code))
    return forms


def country_code(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code ``value`` names, or None: ``"AFG"``, ``"afghane"``,
    ``"Afghanistan"`` -> ``"AF"``."""
    return _codes_by_form().get(normalise_one(value))


def normalise_country(cell: str) -> str | None:
    """The code of each ``|``-separated item, or the item folded when it names no country;
    distinct items sorted. None when nothing is left."""
    items = {country_code(item) or normalise_one(item) for item in str(cell).split(LIST_SEPARATOR)}
    return LIST_SEPARATOR.join(sorted(items - {""})) or None


def normalise_countries(values: pd.Series) -> pd.Series:
    """``normalise_country`` of each value, once per distinct value; missing stays missing."""
    return map_distinct(values, normalise_country)


def describe_countries(field: str, values: pd.Series) -> str:
    """How many present values of a column name a country: ``"nationality: 1,203 values
    normalised to ISO 3166, 14 unknown"``."""
    present = values.dropna().astype(str)
    present = present[present.str.strip() != ""]
    known = map_distinct(present, lambda v: all(country_code(i) for i in v.split(LIST_SEPARATOR)))
    normalised = int(known.sum())
    return (
        f"{field}: {normalised:,} values normalised to ISO 3166, "
        f"{len(present) - normalised:,} unknown"
    )
