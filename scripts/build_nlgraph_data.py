"""Convert the shared NLGraph max-flow JSONL records into the compact file shipped with the package.

One-off converter, run by hand when the shared records change::

    .venv/bin/python scripts/build_nlgraph_data.py [--src DIR] [--out FILE]

It reads ``DIR/*.jsonl`` (one file per model, lines ``{"id", "score", "input_tokens",
"output_tokens"}``; default ``/work/shared/data/nlgraph-maxflow``) and writes
``market/delegation/data/nlgraph_maxflow.npz`` with the arrays

- ``models``: (M,) unicode, model names (file stems), sorted;
- ``query_ids``: (Q,) int64, sorted task ids;
- ``score``: (M, Q) float64, partial credit in [0, 1];
- ``output_tokens``: (M, Q) int64, RAW output token counts (the two negative counts are kept,
  so that the package loader's ``negative_tokens`` policy is what handles them);
- ``input_tokens``: (M, Q) int64.

The values are copied exactly; nothing is repaired here. Provenance:
``market/delegation/data/NLGRAPH_PROVENANCE.md`` (Cao et al. 2026, artifact
``teafrogsf/LLMs-Auditing-Econ``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

DEFAULT_SOURCE = Path("/work/shared/data/nlgraph-maxflow")
DEFAULT_OUT = (
    Path(__file__).resolve().parents[1] / "market" / "delegation" / "data" / "nlgraph_maxflow.npz"
)


def read_model_records(path: Path) -> dict[int, dict]:
    """The records of one model file keyed by task id; fails on duplicate ids."""
    records: dict[int, dict] = {}
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            task = int(record["id"])
            if task in records:
                raise SystemExit(f"{path} line {line_number}: duplicate id {task}")
            records[task] = record
    return records


def build_arrays(source: Path) -> dict[str, np.ndarray]:
    """The compact arrays from every ``*.jsonl`` file in ``source``."""
    files = sorted(source.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no *.jsonl files in {source}")
    per_model = {f.stem: read_model_records(f) for f in files}
    id_sets = {model: set(records) for model, records in per_model.items()}
    reference = next(iter(id_sets.values()))
    for model, ids in id_sets.items():
        if ids != reference:
            raise SystemExit(f"{model}: task ids differ from the other models")
    query_ids = np.array(sorted(reference), dtype=np.int64)
    models = sorted(per_model)

    def field(name: str, dtype: type) -> np.ndarray:
        return np.array(
            [[per_model[m][int(q)][name] for q in query_ids] for m in models], dtype=dtype
        )

    return {
        "models": np.array(models, dtype=np.str_),
        "query_ids": query_ids,
        "score": field("score", np.float64),
        "output_tokens": field("output_tokens", np.int64),
        "input_tokens": field("input_tokens", np.int64),
    }


def main() -> None:
    """Parse the command line and write the compact file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    arrays = build_arrays(args.src)
    np.savez_compressed(args.out, **arrays)
    negatives = np.argwhere(arrays["output_tokens"] < 0)
    print(
        f"wrote {args.out}: {len(arrays['models'])} models x {len(arrays['query_ids'])} queries, "
        f"{args.out.stat().st_size / 1024:.0f} KiB, max output_tokens "
        f"{int(arrays['output_tokens'].max())}, negative output_tokens kept raw: "
        + ", ".join(
            f"{arrays['models'][m]} id {arrays['query_ids'][q]} ({arrays['output_tokens'][m, q]})"
            for m, q in negatives
        )
    )


if __name__ == "__main__":
    main()
