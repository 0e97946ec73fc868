"""Write `guardrails/given_names.txt`: the given names a full name of another person starts with.

    .venv/bin/python scripts/build_given_names.py

The names come from Faker's person providers (MIT licence, a dev dependency;
the file is what ships): every locale's first names, male, female and
non-binary, in the Latin script (romanized where Faker has them: Japanese,
Chinese), casefolded, one per line, sorted. Faker's generic `en` list is left
out: it is 6,800 names from old census rolls, "Dock", "Green" and "Melton"
among them, which are words and places far more often than names; the
English-speaking locales (`en_US`, `en_GB`, `en_IE`, `en_IN`, `en_NZ` ...)
give the names in use.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import faker
import faker.providers.person as person

OUT = Path(__file__).resolve().parent.parent / "guardrails" / "given_names.txt"
LISTS = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary",
         "first_romanized_names", "first_romanized_names_male",
         "first_romanized_names_female")  # fmt: skip
LEFT_OUT = {"en"}


def latin(name: str) -> bool:
    """Latin letters (with diacritics), apostrophes, hyphens and spaces only."""
    return bool(name.strip()) and all((c.isalpha() and ord(c) < 0x250) or c in "'- " for c in name)


def given_names() -> set[str]:
    """Every Latin-script first name of every Faker locale but `LEFT_OUT`, casefolded."""
    names: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        if module.name in LEFT_OUT:
            continue
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attribute in LISTS:
            values = vars(provider).get(attribute)
            if isinstance(values, list | tuple | set | dict):
                names.update(
                    v.strip().casefold() for v in values if isinstance(v, str) and latin(v)
                )
    return names


def main() -> None:
    names = sorted(given_names())
    header = (
        f"# given names from Faker {faker.VERSION} (MIT licence), "
        "written by scripts/build_given_names.py; one casefolded name per line\n"
    )
    OUT.write_text(header + "\n".join(names) + "\n", encoding="utf-8")
    print(f"{len(names):,} names -> {OUT.relative_to(OUT.parent.parent)}")


if __name__ == "__main__":
    main()
