"""CDNOW, the real transaction log of the BG/NBD paper, from the `lifetimes` package's data files.

The 1/10 sample (2,357 customers who first bought in the first quarter of 1997,
followed to the end of June 1998) is written as a CSV with the columns a real
export would have, and read through the same loaders as any user's file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

MAPPING = "customer: user_id\ndate: timestamp\ndollar_value: amount\n"


def cdnow_sample() -> pd.DataFrame:
    """CDNOW_sample.txt as customer, date (YYYYMMDD), cds, dollar_value."""
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations, "install the dev extras"
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_sample.txt"
    names = ["master_id", "customer", "date", "cds", "dollar_value"]
    frame = pd.read_csv(path, sep=r"\s+", header=None, names=names, dtype={"customer": str})
    return frame[["customer", "date", "cds", "dollar_value"]]


@pytest.fixture(scope="session")
def cdnow_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(transactions CSV, column mapping YAML) for the CDNOW sample."""
    folder = tmp_path_factory.mktemp("cdnow")
    csv = folder / "cdnow.csv"
    cdnow_sample().to_csv(csv, index=False)
    mapping = folder / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return csv, mapping
