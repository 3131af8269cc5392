"""Notebook 10 (Vision Transformer maps): attention rollout by hand, and the class token's map on a
non-square grid behind prefix tokens."""

from __future__ import annotations

import torch

from ._harness import _close, _randn, _run

__all__ = ["check_rollout", "check_cls_patch_map"]


def _normalise(a: torch.Tensor) -> torch.Tensor:
    return a / a.sum(-1, keepdim=True)


def _rollout(weights: torch.Tensor, *, order: str = "later_left", identity: bool = True,
             keepdim: bool = True, fuse: str = "mean") -> torch.Tensor:
    """weights ``(layers, heads, N, N)`` → ``(N, N)``; the keyword arguments make the usual wrong answers."""
    fused = weights.mean(1) if fuse == "mean" else weights.sum(1) if fuse == "sum" else weights[:, 0]
    eye = torch.eye(weights.shape[-1], dtype=weights.dtype)
    a_hat = 0.5 * (fused + eye) if identity else fused
    a_hat = _normalise(a_hat) if keepdim else a_hat / a_hat.sum(-1)[:, None, :]  # per layer: a / a.sum(-1)
    result = a_hat[0]
    for layer in a_hat[1:]:
        result = layer @ result if order == "later_left" else result @ layer
    return result


def check_rollout(fn) -> bool:
    """``fn(weights (layers, heads, N, N)) → (N, N)``: mean over heads, ½(A + I), rows renormalised, and
    the layers multiplied with later layers on the left."""

    def hint(weights):
        wrong = {
            "later layers go on the left: R = Â_2 · Â_1 (the last layer reads what the earlier ones made).":
                _rollout(weights, order="later_right"),
            "add the residual path first: Â = ½ (A + I), the identity for the skip connection.":
                _rollout(weights, identity=False),
            "divide each row by its own sum: the sum over the keys must keep its dimension (one number per "
            "row, shape (N, 1)), or row i is divided by the sums of every row in turn.":
                _rollout(weights, keepdim=False),
            "average the heads (the mean), so the ½ (A + I) mix is between one attention matrix and I.":
                _rollout(weights, fuse="sum"),
            "fuse all the heads (their mean), not one head.": _rollout(weights, fuse="first"),
        }

        def name_the_bug(got, _want):
            if isinstance(got, RuntimeError) and "must match the size" in str(got):  # a / a.sum(-1)
                return ("a / a.sum(-1) lines up the row sums (layers, N) with the last dim, not the rows: keep the "
                        "summed dim, a / a.sum(-1, keepdim=True), so each row is divided by its own sum.")
            return next((text for text, candidate in wrong.items() if _close(got, candidate)), "")

        return name_the_bug

    def cases():
        shapes = [(2, 1, 3), (2, 3, 5), (3, 2, 4)]
        for i, (layers, heads, n) in enumerate(shapes):
            weights = torch.softmax(2 * _randn(layers, heads, n, n, seed=110 + i).double(), dim=-1)
            yield f"{layers} layers, {heads} heads, N = {n}", (weights,), _rollout(weights), hint(weights)
        # rows that do not sum to 1 (as after a discard step): renormalising matters
        weights = torch.rand(2, 2, 4, 4, generator=torch.Generator().manual_seed(120), dtype=torch.float64)
        yield "rows not summing to 1 (2 layers, 2 heads, N = 4)", (weights,), _rollout(weights), hint(weights)

    return _run("rollout", fn, cases(), hint="per layer: the heads' mean A, then ½ (A + I), then each row divided "
                "by its sum; then multiply the layers, the later one on the left.")


def check_cls_patch_map(fn) -> bool:
    """``fn(weights (N, N), grid (gh, gw), prefix) → (gh, gw)``: the class token's row (row 0), its ``prefix``
    columns dropped, the patch weights reshaped row-major to ``gh`` rows of ``gw``."""

    def hint(weights, grid, prefix):
        gh, gw = grid
        row = weights[0, prefix:]
        wrong = {
            f"your map has gw = {gw} rows of gh = {gh}: a grid of gh rows of gw patches is reshaped to "
            "(gh, gw), the order the patches were flattened in (dino #180 swapped them)":
                row.reshape(gw, gh),
            "your map is right but transposed: reshape to (gh, gw) directly, without a transpose.":
                row.reshape(gh, gw).T,
            "you took the class token's column (who looks at it?); its row says where it looks.":
                weights[prefix:, 0].reshape(gh, gw),
            f"the class token is token 0; row {prefix} is the first patch's row.":
                weights[prefix, prefix:].reshape(gh, gw),
        }

        def name_the_bug(got, want):
            if isinstance(got, Exception):
                if prefix and "invalid for input of size" in str(got):
                    return (f"the row has {weights.shape[-1]} keys; the first {prefix} are the class/register "
                            f"tokens: only the last gh·gw = {gh * gw} are patches.")
                return ""
            for text, candidate in wrong.items():
                if _close(got, candidate):
                    return text
            if got.shape != want.shape:
                return f"the map is (gh, gw) = ({gh}, {gw}): gh rows of gw patches."
            return ""

        return name_the_bug

    def cases():
        for i, (grid, prefix) in enumerate([((2, 3), 1), ((3, 5), 5), ((4, 2), 2)]):
            n = prefix + grid[0] * grid[1]
            weights = torch.softmax(_randn(n, n, seed=130 + i), dim=-1)
            want = weights[0, prefix:].reshape(grid)
            yield f"grid {grid}, prefix {prefix}", (weights, grid, prefix), want, hint(weights, grid, prefix)

    return _run("cls_patch_map", fn, cases(), atol=0, rtol=0,
                hint="take row 0 (the class token), keep its last gh·gw entries, and reshape them to (gh, gw).")
