"""Tests for the exercise checkers of notebook 06: check_dot_product_pairwise and
check_concatenation_pairwise. Each named mistake is fed as a wrong implementation written out here,
and the hint it gets is checked."""

import itertools
import math

import pytest
import torch

from attnlib.exercises import check_concatenation_pairwise, check_dot_product_pairwise


def test_exercise_checkers_accept_right_and_reject_wrong(capsys):
    def dot(theta, phi):
        return torch.einsum("bnd,bmd->bnm", theta, phi) / phi.shape[1]

    def dot_over_queries(theta, phi):
        return torch.einsum("bnd,bmd->bnm", theta, phi) / theta.shape[1]

    def concat(theta, phi, w_f):
        pairs = torch.cat(  # every (i, j): [θ_i; φ_j], (B, N, N', 2d)
            [theta.unsqueeze(2).expand(-1, -1, phi.shape[1], -1), phi.unsqueeze(1).expand(-1, theta.shape[1], -1, -1)],
            dim=-1,
        )
        return torch.relu(pairs @ w_f) / phi.shape[1]

    def concat_no_relu(theta, phi, w_f):
        d = theta.shape[-1]
        return ((theta @ w_f[:d])[:, :, None] + (phi @ w_f[d:])[:, None, :]) / phi.shape[1]

    assert check_dot_product_pairwise(dot) and check_concatenation_pairwise(concat)
    assert not check_dot_product_pairwise(dot_over_queries) and not check_concatenation_pairwise(concat_no_relu)
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and out.count("❌") == 2
    assert "the number of queries" in out and "the ReLU is missing" in out


def test_exercise_checkers_name_transposed_and_softmax_answers(capsys):
    def dot_transposed(theta, phi):  # (B, N', N): keys as rows
        return phi @ theta.transpose(1, 2) / phi.shape[1]

    def dot_softmax(theta, phi):
        return torch.softmax(theta @ phi.transpose(1, 2), dim=-1)

    def concat_scores(theta, phi, w_f):  # w_fᵀ[θ_i; φ_j], one pair at a time: (B, N, N')
        scores = torch.empty(theta.shape[0], theta.shape[1], phi.shape[1])
        for b, i, j in itertools.product(*(range(n) for n in scores.shape)):
            scores[b, i, j] = torch.cat([theta[b, i], phi[b, j]]) @ w_f
        return scores

    def concat_transposed(theta, phi, w_f):
        return (torch.relu(concat_scores(theta, phi, w_f)) / phi.shape[1]).transpose(1, 2)

    def concat_softmax(theta, phi, w_f):
        return torch.softmax(torch.relu(concat_scores(theta, phi, w_f)), dim=-1)

    assert not check_dot_product_pairwise(dot_transposed)
    assert not check_dot_product_pairwise(dot_softmax)
    assert not check_concatenation_pairwise(concat_transposed)
    assert not check_concatenation_pairwise(concat_softmax)
    out = capsys.readouterr().out.split("\n❌")
    assert len(out) == 4
    assert "your rows are the keys" in out[0] and "put θ first" in out[0]
    assert "softmax is the (embedded) Gaussian's" in out[1] and "divides them by N'" in out[1]
    assert "your rows are the keys" in out[2] and "first half of w_f" in out[2]
    assert "softmax is the (embedded) Gaussian's" in out[3] and "ReLU(score)" in out[3]


# ---- exercise 2 (concatenation): each likely wrong answer gets its own hint ----------------------
# The checker's cases: theta (1, 3, 2), phi (1, 3, 2) (N = N' = 3, d = 2); theta (2, 8, 4), phi (2, 4, 4)
# (N = 8, N' = 4, d = 4); theta (1, 5, 3), phi (1, 7, 3).


def query_and_key_parts(theta, phi, w_f):
    """w_fᵀ[θ_i; φ_j] = w_θ·θ_i + w_φ·φ_j: the part of each query (B, N) and of each key (B, N')."""
    d = theta.shape[-1]
    return theta @ w_f[:d], phi @ w_f[d:]


def pair_scores(theta, phi, w_f):
    """(B, N, N'): every query part plus every key part, by broadcasting."""
    q, k = query_and_key_parts(theta, phi, w_f)
    return q.unsqueeze(2) + k.unsqueeze(1)


def concat_right(theta, phi, w_f):
    return torch.relu(pair_scores(theta, phi, w_f)) / phi.shape[1]


def relu_each_part(theta, phi, w_f):
    q, k = query_and_key_parts(theta, phi, w_f)
    return (torch.relu(q).unsqueeze(2) + torch.relu(k).unsqueeze(1)) / phi.shape[1]


def no_broadcast(theta, phi, w_f):  # (B, N) + (B, N'): fine only when N = N'
    q, k = query_and_key_parts(theta, phi, w_f)
    return torch.relu(q + k) / phi.shape[1]


def halves_swapped(theta, phi, w_f):
    d = theta.shape[-1]
    return concat_right(theta, phi, torch.cat([w_f[d:], w_f[:d]]))


def rows_sum_to_one(theta, phi, w_f):
    f = torch.relu(pair_scores(theta, phi, w_f))
    return f / f.sum(dim=-1, keepdim=True)


SQUARE = "theta (1, 3, 2), phi (1, 3, 2), w_f (4,): "
WIDE = "theta (2, 8, 4), phi (2, 4, 4), w_f (8,): "
CONCATENATION_MISTAKES = {
    "transposed (B, N', N)": (
        lambda t, p, w: concat_right(t, p, w).transpose(1, 2),
        SQUARE,
        "your rows are the keys: the result must be (B, N, N'), row i = query i against every key j; the first half "
        "of w_f goes with θ.",
    ),
    "softmax instead of 1/N'": (
        lambda t, p, w: torch.softmax(torch.relu(pair_scores(t, p, w)), dim=-1),
        SQUARE,
        "a softmax is the (embedded) Gaussian's normalisation; concatenation keeps ReLU(score) and divides it by N'.",
    ),
    "no ReLU": (
        lambda t, p, w: pair_scores(t, p, w) / p.shape[1],
        SQUARE,
        "the ReLU is missing: negative scores must become 0.",
    ),
    "N instead of N'": (
        lambda t, p, w: torch.relu(pair_scores(t, p, w)) / t.shape[1],
        WIDE,  # N = N' in the first case
        "you divided by N, the number of queries; C(x) counts the key positions, N'.",
    ),
    "no normaliser": (
        lambda t, p, w: torch.relu(pair_scores(t, p, w)),
        SQUARE,
        "the 1/N' normalisation is missing: divide by N' = 3, the number of key positions.",
    ),
    "N·N' (every pair)": (
        lambda t, p, w: torch.relu(pair_scores(t, p, w)) / (t.shape[1] * p.shape[1]),
        SQUARE,
        "you divided by N·N' = 9, every pair; C(x) counts only the key positions, N'.",
    ),
    "√d": (
        lambda t, p, w: torch.relu(pair_scores(t, p, w)) / math.sqrt(t.shape[-1]),
        SQUARE,
        "you divided by √d, the scaled dot product's factor; here C(x) = N' = 3, the number of key positions.",
    ),
    "another number (2d)": (
        lambda t, p, w: torch.relu(pair_scores(t, p, w)) / (2 * t.shape[-1]),
        SQUARE,
        "you divided by 4; C(x) = N' = 3, the number of key positions.",
    ),
    "rows made to sum to 1": (
        rows_sum_to_one,
        SQUARE,
        "you made each row sum to 1; here C(x) = N' is a count, the number of key positions, so the rows need not "
        "sum to 1.",
    ),
    "halves of w_f swapped": (
        halves_swapped,
        SQUARE,
        "the halves of w_f are swapped: [θ_i; φ_j] puts θ_i first, so the first d weights of w_f go with θ_i and the "
        "last d with φ_j.",
    ),
    "ReLU on each part": (
        relu_each_part,
        SQUARE,
        "the ReLU comes after the sum, ReLU(w_θ·θ_i + w_φ·φ_j): a ReLU on each part is not the same (the ReLU of a "
        "sum is not the sum of the ReLUs).",
    ),
    "parts added position by position": (
        no_broadcast,
        SQUARE + "expected shape (1, 3, 3), got (1, 3)",
        "your result is (B, N): the query part and the key part were added position by position. Every pair (i, j) "
        "needs its own sum: give them axes that broadcast to (B, N, N').",
    ),
}


@pytest.mark.parametrize("mistake", CONCATENATION_MISTAKES)
def test_concatenation_names_the_mistake(capsys, mistake):
    wrong, case, hint = CONCATENATION_MISTAKES[mistake]
    assert check_concatenation_pairwise(wrong) is False
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("❌ concatenation_pairwise: " + case)
    assert lines[1] == "   Hint: " + hint


def test_concatenation_right_answers_pass(capsys):
    def one_pair_at_a_time(theta, phi, w_f):
        f = torch.empty(theta.shape[0], theta.shape[1], phi.shape[1])
        for b, i, j in itertools.product(*(range(n) for n in f.shape)):
            f[b, i, j] = max(0.0, float(torch.cat([theta[b, i], phi[b, j]]) @ w_f)) / phi.shape[1]
        return f

    assert check_concatenation_pairwise(one_pair_at_a_time) and check_concatenation_pairwise(concat_right)
    assert capsys.readouterr().out.count("✅ concatenation_pairwise: correct on all 3 test cases.") == 2


def test_concatenation_square_case_has_scores_of_both_signs(capsys):
    """An all-zero answer fails on the first (square) case: were its scores all negative, the right answer
    would be all zeros there, and a transposed or wrongly scaled answer would pass it."""
    assert not check_concatenation_pairwise(lambda t, p, w: torch.zeros(t.shape[0], t.shape[1], p.shape[1]))
    assert SQUARE in capsys.readouterr().out


# ---- exercise 1 (dot product): the normaliser named ---------------------------------------------


@pytest.mark.parametrize(
    ("divisor", "hint"),
    [
        (lambda n, n_keys, d: 1, "the 1/N' normalisation is missing: divide by N' = 4, the number of key positions."),
        (lambda n, n_keys, d: math.sqrt(d), "you divided by √d, the scaled dot product's factor; here C(x) = N' = 4, "
                                            "the number of key positions."),
        (lambda n, n_keys, d: n * n_keys, "you divided by N·N' = 16, every pair; C(x) counts only the key positions, "
                                          "N'."),
    ],
)
def test_dot_product_names_the_normaliser(capsys, divisor, hint):
    def wrong(theta, phi):
        return theta @ phi.transpose(1, 2) / divisor(theta.shape[1], phi.shape[1], theta.shape[2])

    assert check_dot_product_pairwise(wrong) is False
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("❌ dot_product_pairwise: theta (1, 4, 3), phi (1, 4, 3): ")
    assert lines[1] == "   Hint: " + hint

