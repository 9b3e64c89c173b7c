"""How much an interaction counts: one choice per signal, measured rather than assumed.

A user x item cell holds the summed weight of that user's events on the item (a quantity on purchase
data, an event type's weight on the app's events, repeats adding up). On purchase logs those sums span
orders of magnitude (one wholesale buyer's 10,000 units against a shopper's 1), so a model that uses
them linearly is steered by a handful of bulk items. Each model and each signal of the feed ranker
therefore names how a cell counts:

- `binary`: 1 if the user touched the item at all;
- `log`: log(1 + w), repeats and quantities count, but with diminishing returns;
- `cap:<c>`: min(w, c);
- `raw`: w as summed (kept to measure the difference, not as a default).

The defaults in the models are the ones measured best on the development sets (README, "Recommendations").
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

WEIGHTINGS = ("binary", "log", "raw")


def check_weighting(how: str) -> str:
    """`how` if it names a weighting, else ValueError."""
    if how in WEIGHTINGS:
        return how
    if how.startswith("cap:"):
        try:
            cap = float(how[4:])
        except ValueError:
            cap = float("nan")
        if cap > 0:
            return how
    raise ValueError(f"unknown weighting {how!r}; use binary, log, raw or cap:<positive number>")


def apply_weighting(values: np.ndarray, how: str) -> np.ndarray:
    """The weighting applied to an array of summed (non-negative) weights; a new float32 array."""
    values = np.asarray(values, dtype=np.float32)
    if how == "binary":
        return (values > 0).astype(np.float32)
    if how == "log":
        return np.log1p(values).astype(np.float32)
    if how == "raw":
        return values.copy()
    check_weighting(how)
    return np.minimum(values, np.float32(float(how[4:])))


def weigh(matrix: sp.spmatrix, how: str) -> sp.csr_matrix:
    """A copy of a sparse matrix of summed weights with `how` applied to every stored cell."""
    weighted = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    weighted.data = apply_weighting(weighted.data, how)
    weighted.eliminate_zeros()
    return weighted
