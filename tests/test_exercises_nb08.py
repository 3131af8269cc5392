"""Tests for the exercise checkers of notebook 08: check_glimpse_corner and check_reinforce_loss."""

import torch
from exercise_support import hint_of, run

from attnlib.exercises import check_glimpse_corner, check_reinforce_loss


def corner(locations, image_size, side, *, scale=lambda h, w: torch.tensor([h, w])):
    centre = (locations + 1) / 2 * scale(*image_size)
    return torch.floor(centre - side / 2 + 0.5).long()


def test_glimpse_corner_checker_accepts_right_and_names_mistakes(capsys):
    def stub(locations, image_size, side):
        raise NotImplementedError

    assert check_glimpse_corner(corner)
    assert not check_glimpse_corner(stub)
    assert not check_glimpse_corner(lambda loc, size, side: corner(loc, size, side).flip(-1))
    assert not check_glimpse_corner(lambda loc, size, side: torch.floor((loc + 1) / 2 * torch.tensor(size) + 0.5))
    assert not check_glimpse_corner(lambda loc, size, side: corner(loc, size, side, scale=lambda h, w: h))
    assert not check_glimpse_corner(lambda loc, size, side: corner(loc, size, side, scale=lambda h, w: torch.tensor(
        [h - 1, w - 1])))
    out = capsys.readouterr().out
    assert out.count("✅") == 1 and "not implemented yet" in out
    assert "row and col are swapped" in out and "that is the centre" in out
    assert "not square" in out and "outer edges" in out


def test_reinforce_loss_checker_accepts_right_and_names_mistakes(capsys):
    def right(log_probs, reward, baselines):
        return -(log_probs * (reward[:, None] - baselines.detach())).sum(1).mean()

    def not_detached(log_probs, reward, baselines):
        return -(log_probs * (reward[:, None] - baselines)).sum(1).mean()

    def no_baseline(log_probs, reward, baselines):
        return -(log_probs * reward[:, None]).sum(1).mean()

    def flipped(log_probs, reward, baselines):
        return -right(log_probs, reward, baselines)

    def mean_over_steps(log_probs, reward, baselines):
        return -(log_probs * (reward[:, None] - baselines.detach())).mean()

    assert check_reinforce_loss(right)
    for wrong in (not_detached, no_baseline, flipped, mean_over_steps):
        assert not check_reinforce_loss(wrong)
    out = capsys.readouterr().out
    assert out.count("✅") == 1 and out.count("❌") == 4
    assert "baselines.detach()" in out and "baseline is missing" in out
    assert "sign is flipped" in out and "sum over the steps" in out


def test_glimpse_corner_checker_names_swapped_height_and_width(capsys):
    def h_for_columns(locations, image_size, side):
        h, w = image_size
        return corner(locations, (w, h), side)  # rows scaled by W, columns by H

    ok, out = run(capsys, check_glimpse_corner, h_for_columns)
    assert not ok and "image 20×30" in out  # the square images cannot tell; the 20×30 one does
    assert hint_of(out) == "H and W are swapped: rows scale with the height H, columns with the width W."


def test_reinforce_loss_checker_asks_for_one_number_not_one_per_sample(capsys):
    def per_sample(log_probs, reward, baselines):
        return -(log_probs * (reward[:, None] - baselines.detach())).sum(1)  # (B,): the batch mean is missing

    ok, out = run(capsys, check_reinforce_loss, per_sample)
    assert not ok and "expected shape (), got (2,)" in out and "implicitly created" not in out
    assert hint_of(out) == ("return one number: the mean over the batch "
                            "(a (B,) tensor cannot be back-propagated as a loss)")
