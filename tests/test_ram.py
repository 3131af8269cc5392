"""RecurrentAttention (RAM) and ram_loss against the formulas written out here."""

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal

from attnlib import RAMOutput, RecurrentAttention, glimpse, ram_loss


@pytest.fixture
def net():
    torch.manual_seed(0)
    return RecurrentAttention(1, 10, size=4, scales=2, glimpses=3, hidden=16, std=0.8)


def test_shapes(net):
    out = net(torch.rand(5, 1, 20, 24), generator=torch.Generator().manual_seed(0))
    assert out.logits.shape == (5, 10)
    assert out.locations.shape == out.means.shape == (5, 3, 2)
    assert out.log_probs.shape == out.baselines.shape == (5, 3)
    assert net(torch.rand(2, 1, 20, 24), glimpses=6).locations.shape == (2, 6, 2)
    assert (out.locations.abs() <= 1).all() and (out.means.abs() < 1).all()


def test_steps_follow_the_formulas_and_log_prob_is_before_clamping(net):
    images = torch.rand(4, 1, 16, 16)
    out = net(images, generator=torch.Generator().manual_seed(3))
    noise_source = torch.Generator().manual_seed(3)  # the same noise, drawn (B, 2) once per step
    h = torch.zeros(4, 16)
    for t in range(3):
        mean = torch.tanh(net.locate[2](F.relu(net.locate[0](h))))
        drawn = mean + 0.8 * torch.randn(4, 2, generator=noise_source)
        torch.testing.assert_close(out.means[:, t], mean)
        torch.testing.assert_close(out.log_probs[:, t], Normal(mean, 0.8).log_prob(drawn).sum(-1))
        torch.testing.assert_close(out.locations[:, t], drawn.clamp(-1, 1))
        torch.testing.assert_close(out.baselines[:, t], net.baseline(h)[:, 0])
        phi = glimpse(images, drawn.clamp(-1, 1), 4, scales=2).reshape(4, -1)
        what = net.what_out(F.relu(net.phi(phi)))
        where = net.where_out(F.relu(net.where(drawn.clamp(-1, 1))))
        h = F.relu(net.core_g(F.relu(what + where)) + net.core_h(h))
    torch.testing.assert_close(out.logits, net.classify(h))
    clamped = (out.locations.abs() == 1).any(-1)
    assert clamped.any(), "with std 0.8 some samples leave [-1, 1]; the test needs one"
    at_clamped = Normal(out.means, 0.8).log_prob(out.locations).sum(-1)
    assert not torch.allclose(out.log_probs[clamped], at_clamped[clamped])


def test_without_sampling_the_model_looks_at_the_means(net):
    out = net(torch.rand(3, 1, 16, 16), sample=False)
    torch.testing.assert_close(out.locations, out.means)
    torch.testing.assert_close(out.log_probs, Normal(out.means, 0.8).log_prob(out.means).sum(-1))


def test_locations_carry_no_gradient_and_policy_and_baseline_read_a_detached_state(net):
    images = torch.rand(4, 1, 16, 16)
    out = net(images, generator=torch.Generator().manual_seed(1))
    assert not out.locations.requires_grad
    core = [net.core_g.weight, net.core_h.weight, net.phi.weight]
    # the baseline's and the policy's gradients stop at h: they reach their own layers only
    grads = torch.autograd.grad(out.baselines.sum() + out.log_probs.sum(), core, allow_unused=True)
    assert all(g is None or (g == 0).all() for g in grads)
    assert torch.autograd.grad(out.baselines.sum(), net.baseline.weight)[0].abs().sum() > 0
    assert torch.autograd.grad(out.log_probs.sum(), net.locate[0].weight)[0].abs().sum() > 0
    # and the classifier's loss does reach the core
    assert torch.autograd.grad(out.logits.sum(), net.core_g.weight)[0].abs().sum() > 0


def test_loss_terms_by_hand():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.5]], requires_grad=True)
    log_probs = torch.tensor([[-1.0, -2.0], [-0.5, -1.5]], requires_grad=True)
    baselines = torch.tensor([[0.25, 0.5], [0.75, 0.0]], requires_grad=True)
    out = RAMOutput(logits, torch.zeros(2, 2, 2), torch.zeros(2, 2, 2), log_probs, baselines)
    labels = torch.tensor([0, 2])  # picture 0 right (argmax 0), picture 1 wrong (argmax 1)
    loss = ram_loss(out, labels, reinforce_weight=0.1)
    assert loss.reward.tolist() == [1.0, 0.0]
    nll = -(torch.log_softmax(logits, -1)[0, 0] + torch.log_softmax(logits, -1)[1, 2]) / 2
    torch.testing.assert_close(loss.nll, nll)
    # (b − R)²: picture 0: (0.25−1)², (0.5−1)²; picture 1: 0.75², 0²; mean of four
    torch.testing.assert_close(loss.baseline, torch.tensor((0.5625 + 0.25 + 0.5625 + 0.0) / 4))
    # −Σ_t log π (R − b_t), averaged over pictures:
    # picture 0: −(−1·0.75 − 2·0.5) = 1.75; picture 1: −(−0.5·(−0.75) − 1.5·0) = −0.375
    torch.testing.assert_close(loss.reinforce, torch.tensor((1.75 - 0.375) / 2))
    torch.testing.assert_close(loss.total, nll + loss.baseline + 0.1 * loss.reinforce)
    loss.total.backward()
    # the baseline inside the REINFORCE term is detached: b's gradient is the MSE's alone, (b − R)/2
    torch.testing.assert_close(baselines.grad, (baselines.detach() - torch.tensor([[1.0, 1.0], [0.0, 0.0]])) / 2)
    torch.testing.assert_close(log_probs.grad, -0.1 * torch.tensor([[0.75, 0.5], [-0.75, 0.0]]) / 2)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda n: n(torch.rand(2, 3, 16, 16)), ValueError, r"images must have shape \(B, 1, H, W\)"),
        (lambda n: n(torch.rand(2, 1, 16, 16), glimpses=0), ValueError, "glimpses must be an int 1 <= glimpses"),
        (lambda n: n(torch.rand(2, 1, 16, 16), sample=1), TypeError, "sample must be True"),
        (lambda n: ram_loss(n(torch.rand(2, 1, 16, 16)), torch.tensor([1.0, 2.0])), ValueError, "torch.long"),
        (lambda n: ram_loss((1, 2), torch.tensor([1, 2])), TypeError, "RAMOutput"),
        (lambda n: RecurrentAttention(std=0), ValueError, "std must be a positive"),
        (lambda n: RecurrentAttention(size=2.5), TypeError, "size must be an int"),
    ],
)
def test_bad_arguments_are_named(net, call, error, match):
    with pytest.raises(error, match=match):
        call(net)



def test_glimpse_error_shows_a_location_just_outside_the_range_unrounded():
    image = torch.zeros(1, 1, 28, 28)
    with pytest.raises(ValueError, match=r"\(1\.0001, 0\).*2·pixel/\(H, W\) − 1"):
        glimpse(image, torch.tensor([[1.0001, 0.0]]), 8)
