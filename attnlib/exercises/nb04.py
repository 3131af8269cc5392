"""Notebook 04 (drawing attention maps): from a row of weights to a map, on square grids, then on any
grid with prefix (CLS/register) tokens. The checkers' weights are coded (``1_000_000 head + 1000 query +
key``), so a wrong map is read back as the weights it took."""

from __future__ import annotations

import math

import torch

from ._harness import _randn, _run

__all__ = ["check_query_map", "check_grid_query_map"]


_HEAD, _QUERY = 1_000_000, 1000  # the codes of _coded_weights: value = 1_000_000 head + 1000 query + key


def _coded_weights(*lead, n: int) -> torch.Tensor:
    """``(*lead, n, n)`` with entry ``[h, i, j] = 1_000_000 h + 1000 i + j`` (``h`` numbers the leading
    dims' entries, e.g. heads): every value says which head, query and key it was taken from."""
    i = torch.arange(n, dtype=torch.float64)
    coded = _QUERY * i[:, None] + i[None, :]
    heads = _HEAD * torch.arange(math.prod(lead), dtype=torch.float64).reshape(*lead, 1, 1)
    return coded + heads


def _decode(value: float, n: int) -> tuple[int, int, int] | None:
    """A value of ``_coded_weights(..., n=n)`` → ``(head, query, key)``; None if it is not one."""
    if not math.isfinite(value) or value < 0 or not float(value).is_integer():
        return None
    head, rest = divmod(int(value), _HEAD)
    query, key = divmod(rest, _QUERY)
    return (head, query, key) if query < n and key < n else None


def _coded_hint(query, grid, prefix: int = 0, heads: int = 1):
    """A case hint for coded weights: read the first wrong entry back as the head, query and key it
    came from, and name the slip that gives it (row · H, a forgotten prefix, pixels counted down the
    columns, a column instead of a row, a map filled column by column, a (W, H) map); otherwise nudge
    towards the step that went wrong (never the whole recipe)."""
    (h, w), (row, col) = grid, query
    n = prefix + h * w
    plus = "prefix + " if prefix else ""
    step = f"one step down the grid skips W = {w} tokens (a whole grid row), not H = {h}."

    def name(head, query, key):
        return f"query {query}'s key {key}" + (f" of head {head}" if heads > 1 else "")

    def raised(error):  # torch's reshape error names the size it got: "… is invalid for input of size 16"
        if prefix and f"input of size {heads * n}" in str(error):
            first = ("the first is a prefix token, not a pixel" if prefix == 1
                     else f"the first {prefix} are prefix tokens, not pixels")
            return f"the row has all {n} keys, and {first}: only the last H·W = {h * w} go on the grid."
        if heads > 1 and (f"input of size {heads * h * w}" in str(error) or f"with size {heads}" in str(error)):
            return f"the weights have {heads} heads in front: keep the leading dims, and return (..., H, W)."
        return ""

    def wrong_shape(got, want):
        if h == w or got.shape != (*want.shape[:-2], w, h):
            return "the map has H rows and W columns, after the leading dims: (..., H, W)."
        got = got.detach().double()
        if torch.equal(got, want.transpose(-2, -1)):
            return (f"your map is the right one transposed: W = {w} rows of H = {h}. A map has H rows "
                    "(grid[0]) of W columns: (..., H, W).")
        said = f"your map has W = {w} rows of H = {h}; a map has H rows (grid[0]) of W columns: (..., H, W)."
        found = _decode(got.reshape(-1)[0].item(), n)
        if found is not None and found[1] == prefix + row * h + col != prefix + row * w + col:
            said += f" And you took query {found[1]}'s row, token {plus}row·H + col: {step}"
        return said

    def hint(got, want):
        if isinstance(got, Exception):
            return raised(got)
        if got.shape != want.shape:
            return wrong_shape(got, want)
        got = got.detach().double()
        idx = tuple(int(i) for i in torch.nonzero(got != want)[0])
        found, expected = _decode(got[idx].item(), n), _decode(want[idx].item(), n)
        if found is None:
            return "each entry of the map is one weight of the matrix, copied unchanged."
        (gh, gi, gj), (wh, wi, wj) = found, expected
        said = f"at map index {idx} you returned {name(gh, gi, gj)}; expected "
        if gh != wh:
            return said + f"head {wh}'s. Keep the leading dims as they are."
        if gi != wi and gj == wi:
            return said + f"query {wi}'s key {wj}. That is a column (who looks at token {wi}); take the row."
        if gi != wi:
            said += f"query {wi}'s key {wj}. "
            if gi == prefix + row * h + col:
                return said + f"That is token {plus}row·H + col: {step}"
            if prefix and gi == row * w + col:
                return said + (f"That is token row·W + col, counted as if there were no prefix: the pixel tokens "
                               f"start after the {prefix} prefix token{'s' if prefix > 1 else ''}, at token {prefix}.")
            if gi == prefix + col * h + row:
                return said + (f"That is token {plus}col·H + row, the pixels counted down the columns; tokens "
                               f"go along the grid rows, W = {w} per row.")
            return said + "Check which token index you take."
        if prefix and gj == wj - prefix:
            skipped = "key 0 is not a pixel" if prefix == 1 else f"keys 0–{prefix - 1} are not pixels"
            return said + f"key {wj}. The right row, but {skipped}."
        if torch.equal(got, want.reshape(*want.shape[:-2], w, h).transpose(-2, -1)):
            return said + (f"key {wj}. The row is right, but you filled the map column by column (a (W, H) "
                           f"layout, then a transpose): key k of the row is pixel (k // W, k % W).")
        return said + f"key {wj}. The row is right: check how you lay it out on the grid."

    return hint


def _row_as_map(weights: torch.Tensor, query, grid, prefix: int = 0) -> torch.Tensor:
    """The reference, written out: row ``prefix + row * W + col``, keys after the prefix, as ``(..., H, W)``."""
    (h, w), (row, col) = grid, query
    keys = weights[..., prefix + row * w + col, prefix:]
    return keys.reshape(*weights.shape[:-2], h, w)


def check_query_map(fn) -> bool:
    """``fn(weights (..., N, N), query (row, col), grid (H, W)) → (..., H, W)`` on square grids."""

    def cases():
        w = _coded_weights(n=9)
        want = _row_as_map(w, (1, 2), (3, 3))
        yield "coded 3×3 grid, query (1, 2)", (w, (1, 2), (3, 3)), want, _coded_hint((1, 2), (3, 3))
        w = torch.softmax(_randn(16, 16, seed=40), dim=-1)
        yield "random weights, 4×4 grid, query (3, 0)", (w, (3, 0), (4, 4)), _row_as_map(w, (3, 0), (4, 4))
        w = _coded_weights(2, n=16)
        want = _row_as_map(w, (0, 3), (4, 4))
        case = "coded, two heads (2, 16, 16), 4×4 grid, query (0, 3)"
        yield case, (w, (0, 3), (4, 4)), want, _coded_hint((0, 3), (4, 4), heads=2)

    return _run("query_map", fn, cases(), hint="check which token index you take, and that the map keeps "
                "the leading dims: (..., H, W).", atol=0, rtol=0)  # a map copies weights: exact, so 12005 ≠ 12006


def check_grid_query_map(fn) -> bool:
    """``fn(weights, query, grid, prefix) → (..., H, W)`` on non-square grids with CLS/register tokens."""

    def cases():
        w = _coded_weights(n=6)
        want = _row_as_map(w, (1, 0), (2, 3))
        case = "coded 2×3 grid (2 rows, 3 columns), query (1, 0)"
        yield case, (w, (1, 0), (2, 3), 0), want, _coded_hint((1, 0), (2, 3))
        w = _coded_weights(n=1 + 15)
        want = _row_as_map(w, (2, 4), (3, 5), 1)
        case = "coded 3×5 grid after 1 CLS token, query (2, 4)"
        yield case, (w, (2, 4), (3, 5), 1), want, _coded_hint((2, 4), (3, 5), 1)
        w = _coded_weights(3, n=5 + 8)
        want = _row_as_map(w, (3, 1), (4, 2), 5)
        case = "coded, 3 heads, 4×2 grid after CLS + 4 registers, query (3, 1)"
        yield case, (w, (3, 1), (4, 2), 5), want, _coded_hint((3, 1), (4, 2), 5, heads=3)

    return _run("query_map (any grid, prefix)", fn, cases(), hint="on a grid that is not square, check "
                "how many tokens one step down the grid skips, and how many rows the map has.", atol=0, rtol=0)
