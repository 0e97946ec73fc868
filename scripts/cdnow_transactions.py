"""Write the CDNOW transaction log (shipped inside `lifetimes`) as a CSV for `winback score`.

    .venv/bin/python scripts/cdnow_transactions.py cdnow_sample.csv          # 2,357 customers
    .venv/bin/python scripts/cdnow_transactions.py cdnow_master.csv --master  # 23,570 customers

The files are whitespace-separated (`customer date(YYYYMMDD) cds dollars`); the CSV
keeps customer ids as text and pairs with examples/cdnow_mapping.yaml. The package is
found without importing it (its import pulls in autograd): only its data files are used.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import pandas as pd


def cdnow_file(master: bool = False) -> Path:
    """The path of CDNOW_sample.txt (or CDNOW_master.txt) inside the installed lifetimes."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("lifetimes is not installed: run `make dev` (it is a dev dependency).")
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets"
    return folder / ("CDNOW_master.txt" if master else "CDNOW_sample.txt")


def cdnow_frame(master: bool = False) -> pd.DataFrame:
    """The transaction log as customer, date, cds, dollar_value (ids as text)."""
    path = cdnow_file(master)
    if master:
        names = ["customer", "date", "cds", "dollar_value"]
        frame = pd.read_csv(path, sep=r"\s+", header=0, names=names, dtype={"customer": str})
    else:
        names = ["master_id", "customer", "date", "cds", "dollar_value"]
        frame = pd.read_csv(path, sep=r"\s+", header=None, names=names, dtype={"customer": str})
    return frame[["customer", "date", "cds", "dollar_value"]]


def main() -> None:
    """Command line: write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--master", action="store_true", help="the full 23,570-customer log")
    args = parser.parse_args()
    frame = cdnow_frame(args.master)
    frame.to_csv(args.output, index=False)
    print(f"{args.output}: {len(frame)} transactions, {frame.customer.nunique()} customers")


if __name__ == "__main__":
    main()
