"""Company and account records as each service holds them.

The financial side (``"fiu"``) copies bank and registry data: registered name with its legal
form, SIREN or SIRET, full IBANs. The police side knows what a hearing or a seizure shows: often
the trade name only, no registration number, masked IBANs, holder names as heard.
"""

from __future__ import annotations

import numpy as np

from linker.synth.world.business import Account, Company
from linker.synth.world.config import WorldConfig
from linker.synth.world.identifiers import fr_vat, group_iban, mask_iban
from linker.synth.world.records import mrz_upper
from linker.synth.world.tally import Tally
from linker.synth.world.variants import typo
from linker.synth.world.world import Person

COMPANY_COLUMNS = (
    "record_id",
    "name",
    "trade_name",
    "legal_form",
    "registration_id",
    "vat_id",
    "country",
    "address",
    "postcode",
    "city",
    "phones",
    "emails",
    "ibans",
)
ACCOUNT_COLUMNS = (
    "record_id",
    "iban",
    "bic",
    "account_number",
    "bank_name",
    "holder_name",
    "country",
)
_DOTTED = {"SARL": "S.A.R.L.", "SAS": "S.A.S.", "SASU": "S.A.S.U.", "EURL": "E.U.R.L."}


def _with_form(name: str, form: str, rng: np.random.Generator) -> str:
    written = _DOTTED.get(form, form) if rng.random() < 0.3 else form
    return f"{written} {name}" if rng.random() < 0.5 else f"{name} {written}"


def company_record(
    company: Company, side: str, rng: np.random.Generator, config: WorldConfig, tally: Tally
) -> dict[str, str]:
    """One record of ``company`` on ``side``."""
    police = side == "police"
    name = (
        company.trade_name
        if police and rng.random() < 0.4
        else _with_form(company.name, company.legal_form, rng)
    )
    if tally.draw(rng, "name.typo", config.rate("name.typo")):
        name = typo(name, rng)
    registration = (
        ""
        if police and rng.random() < 0.5
        else (
            company.siren
            if rng.random() < 0.5
            else company.sirets[int(rng.integers(len(company.sirets)))]
        )
    )
    address = company.address
    ibans = [
        mask_iban(i, rng)
        if police and rng.random() < config.rate("identifier.iban_masked_police")
        else i
        for i in company.ibans
    ]
    record = {
        "name": name if police else mrz_upper(name),
        "trade_name": "" if police or rng.random() < 0.4 else company.trade_name,
        "legal_form": "" if police and rng.random() < 0.5 else company.legal_form,
        "registration_id": registration,
        "vat_id": fr_vat(company.siren) if not police and rng.random() < 0.4 else "",
        "country": "FR",
        "address": address.street if police else mrz_upper(address.street),
        "postcode": address.postcode,
        "city": address.city,
        "phones": "|".join("0" + p for p in company.phones),
        "emails": "|".join(company.emails),
        "ibans": "|".join(ibans),
    }
    return record


def account_record(
    account: Account,
    side: str,
    rng: np.random.Generator,
    config: WorldConfig,
    holder: Person | Company,
) -> dict[str, str]:
    """One record of ``account`` on ``side``; ``holder`` names the account."""
    police = side == "police"
    masked = police and rng.random() < config.rate("identifier.iban_masked_police")
    iban = (
        mask_iban(account.iban, rng)
        if masked
        else (group_iban(account.iban) if rng.random() < 0.4 else account.iban)
    )
    if isinstance(holder, Company):
        holder_name = holder.name
    else:
        holder_name = " ".join(t for t in (holder.given, holder.family or holder.father) if t)
    return {
        "iban": iban,
        "bic": "" if police and rng.random() < 0.6 else account.bic,
        "account_number": "" if masked else account.iban[14:25],
        "bank_name": account.bank_name,
        "holder_name": holder_name if police else mrz_upper(holder_name),
        "country": "FR",
    }
