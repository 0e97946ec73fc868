"""A cohort's column names made ours: the mapping file, case-insensitive known names, formats.

Every reader and every scan that never builds a frame (`csv_scan_plan`, the
database checks) renames a source's columns here, so a column is called the
same whatever engine reads it. Imports no pandas.
"""

from __future__ import annotations

from pathlib import Path

from segments.cohort_problems import ProblemLog
from segments.cohort_schema import COLUMNS
from segments.errors import SegmentsError

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def load_mapping(mapping: Path | dict[str, str] | None) -> dict[str, str]:
    """The column mapping (source name -> our name) from a YAML file or a dict."""
    if mapping is None:
        return {}
    if isinstance(mapping, dict):
        data: object = mapping
    else:
        from prompts.yaml_file import read_yaml_mapping  # yaml: only for a mapping file

        data = read_yaml_mapping(
            Path(mapping),
            "Column mapping file",
            fix="Write one `source_column: our_column` per line.",
            missing_fix="Check the --mapping path.",
            kind="a mapping of source column names to our column names",
            error=SegmentsError,
        )
        if isinstance(data, dict) and isinstance(data.get("columns"), dict):
            data = data["columns"]
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
    ):
        raise SegmentsError(
            f"Column mapping {mapping} must map source column names to our column names",
            "Write one `source_column: our_column` per line, e.g. `score: churn_score`.",
        )
    return {k.strip(): v.strip() for k, v in data.items()}


def rename_columns(
    columns: list[str], mapping: dict[str, str], log: ProblemLog
) -> tuple[list[str], dict[str, str]]:
    """Our names for the source's columns (stripped, mapped, known names matched by case),
    and the renames made; two columns becoming one name is a problem in `log`."""
    names = [str(c).strip() for c in columns]
    renamed: dict[str, str] = {}
    known_lower = {k.lower(): k for k in COLUMNS}
    for src in names:
        if src in mapping:
            renamed[src] = mapping[src]
        elif src not in COLUMNS and src.lower() in known_lower:
            renamed[src] = known_lower[src.lower()]
    final = [renamed.get(n, n) for n in names]
    seen: dict[str, str] = {}
    for src, dst in zip(names, final, strict=True):
        if dst in seen:
            log.add(
                f"two source columns ('{seen[dst]}' and '{src}') both become '{dst}'",
                column=dst,
                expected="each column once",
            )
        seen[dst] = src
    return final, {s: d for s, d in renamed.items() if s != d}


def unused_mapping(mapping: dict[str, str], renamed: dict[str, str], final: list[str]) -> list[str]:
    """Mapping entries naming a column the source does not have."""
    return sorted(set(mapping) - set(renamed) - set(final))


def note_unused_mapping(names: list[str], log: ProblemLog) -> None:
    """One problem per mapping entry that renames nothing."""
    for name in names:
        log.add(
            f"the mapping renames '{name}', but the source has no such column",
            column=name,
            expected="a column present in the source",
        )


def file_format(path: Path) -> str:
    """ "csv", "jsonl" or "parquet": by the suffix, else a Parquet file's magic bytes."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is not None:
        return kind
    with path.open("rb") as fh:
        return "parquet" if fh.read(4) == b"PAR1" else "csv"


def scan_names(
    header: list[str], mapping: dict[str, str], source: str
) -> tuple[list[str], dict[str, str]] | None:
    """Our names for a header and the renames, for a scan that builds no frame; None when
    the pandas path would see the header otherwise or report it (a duplicate or blank
    name, two columns becoming one, a mapped column the source does not have)."""
    if len(set(header)) != len(header) or any(not h.strip() for h in header):
        return None
    log = ProblemLog(source)
    names, renamed = rename_columns(header, mapping, log)
    if log.total or unused_mapping(mapping, renamed, names):
        return None
    return names, renamed
