"""The REINFORCE toy: the estimator is unbiased against the exact gradient, and a baseline lowers its variance."""

import pytest
import torch

from attnlib import bright_pixel, exact_policy_gradient, reinforce_samples

LOGITS = torch.tensor([0.3, -0.2, 0.0, 0.5, -0.4, 0.1, 0.2, -0.1])


def test_image():
    image = bright_pixel(6, where=2, background=0.25, bright=2.0)
    assert image.tolist() == [0.25, 0.25, 2.0, 0.25, 0.25, 0.25]


def test_exact_gradient_matches_autograd_and_the_closed_form():
    image = bright_pixel(8, where=5)
    theta = LOGITS.clone().requires_grad_()
    (torch.softmax(theta, 0) @ image).backward()  # J(θ) = Σ π_a R_a, differentiated by torch
    got = exact_policy_gradient(LOGITS, image)
    torch.testing.assert_close(got, theta.grad)
    pi = torch.softmax(LOGITS, 0)
    torch.testing.assert_close(got, pi * (image - pi @ image))  # ∂J/∂θ_j = π_j (R_j − E[R])


def test_one_sample_by_hand():
    # two pixels, equal logits: π = (½, ½), baseline ¼. Pixel 0 (reward 0): (0 − ¼)·(e_0 − π) = (−⅛, ⅛);
    # pixel 1 (reward 1): (1 − ¼)·(e_1 − π) = (−⅜, ⅜).
    image = torch.tensor([0.0, 1.0])
    seen = set()
    for seed in range(20):
        g = reinforce_samples(torch.zeros(2), image, 1, baseline=0.25, generator=torch.Generator().manual_seed(seed))
        seen.add(tuple(g[0].tolist()))
    assert seen == {(-0.125, 0.125), (-0.375, 0.375)}


@pytest.mark.parametrize("baseline", [0.0, 0.5625, 2.0])
def test_mean_matches_the_exact_gradient_within_standard_errors(baseline):
    image = bright_pixel(8, where=5)
    samples = reinforce_samples(LOGITS, image, 40_000, baseline=baseline, generator=torch.Generator().manual_seed(0))
    exact = exact_policy_gradient(LOGITS, image)
    standard_error = samples.std(0) / samples.shape[0] ** 0.5
    assert ((samples.mean(0) - exact).abs() <= 4 * standard_error).all()


def test_baseline_lowers_the_variance_as_enumeration_predicts():
    image = bright_pixel(8, where=5)
    pi = torch.softmax(LOGITS, 0)
    expected_reward = float(pi @ image)
    exact = exact_policy_gradient(LOGITS, image)

    def enumerated_variance(b):  # Σ_j Var(g_j) = E‖g‖² − ‖E g‖², summing over the 8 possible pixels
        second = sum(pi[a] * ((image[a] - b) * (torch.eye(8)[a] - pi)).pow(2).sum() for a in range(8))
        return float(second - exact.pow(2).sum())

    measured = {}
    for b in (0.0, expected_reward):
        samples = reinforce_samples(LOGITS, image, 40_000, baseline=b, generator=torch.Generator().manual_seed(1))
        measured[b] = float(samples.var(0).sum())
        assert measured[b] == pytest.approx(enumerated_variance(b), rel=0.05)
    assert measured[expected_reward] < 0.25 * measured[0.0]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: bright_pixel(1), ValueError, "n must be an int 2 <= n"),
        (lambda: bright_pixel(8, where=8), ValueError, "where must be an int 0 <= where <= 7"),
        (lambda: exact_policy_gradient(torch.zeros(3), torch.zeros(4)), ValueError, r"\(3,\) and \(4,\)"),
        (lambda: exact_policy_gradient([0.0, 1.0], torch.zeros(2)), TypeError, "logits must be a torch.Tensor"),
        (lambda: reinforce_samples(torch.zeros(2), torch.zeros(2), 0), ValueError, "n_samples"),
        (lambda: reinforce_samples(torch.zeros(2), torch.zeros(2), 5, baseline="mean"), TypeError, "baseline"),
    ],
)
def test_bad_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
