"""How ``records.csv`` was made: 200 synthetic but realistic records (100 queries x 2 models).

Each query has a difficulty d in [0, 1]; the big model is right with probability 0.95 - 0.3 d
and answers in about 300 + 1400 d tokens, the small one 0.85 - 0.6 d and 200 + 900 d tokens;
lengths are clipped to 50-2000 tokens. Run ``python make_records.py records.csv`` to redo it.
"""

import csv
import sys

import numpy as np


def make_records(path: str, queries: int = 100, seed: int = 2026) -> None:
    """Write the records to ``path`` (columns model, query_id, reward, output_tokens)."""
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(0, 1, queries)
    rows = []
    for q, d in enumerate(difficulty):
        big_length = int(np.clip(rng.normal(300 + 1400 * d, 150), 50, 2000))
        small_length = int(np.clip(rng.normal(200 + 900 * d, 120), 50, 2000))
        big_reward = float(rng.random() < 0.95 - 0.3 * d)
        small_reward = float(rng.random() < 0.85 - 0.6 * d)
        rows.append(("my-big-model", f"q{q:03d}", big_reward, big_length))
        rows.append(("my-small-model", f"q{q:03d}", small_reward, small_length))
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model", "query_id", "reward", "output_tokens"])
        writer.writerows(rows)


if __name__ == "__main__":
    make_records(sys.argv[1])
