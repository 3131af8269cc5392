"""Tests for the exercise checkers of notebook 05: check_sagan_energy and check_sagan_output."""

import torch

from attnlib.exercises import check_sagan_energy, check_sagan_output


def test_exercise_checkers_accept_right_and_reject_wrong(capsys):
    def energy(x, w_q, w_k):
        q = torch.einsum("dc,bcn->bdn", w_q, x.flatten(2))
        k = torch.einsum("dc,bcn->bdn", w_k, x.flatten(2))
        return torch.einsum("bdn,bdm->bnm", q, k)

    def energy_keys_as_rows(x, w_q, w_k):
        return energy(x, w_q, w_k).transpose(1, 2)

    def output(x, v, attention, gamma):
        return gamma * torch.einsum("bcm,bnm->bcn", v, attention).reshape(x.shape) + x

    def output_no_transpose(x, v, attention, gamma):
        return gamma * (v @ attention).reshape(x.shape) + x

    def stub(*args):
        raise NotImplementedError

    assert check_sagan_energy(energy) and check_sagan_output(output)
    assert not check_sagan_energy(energy_keys_as_rows) and not check_sagan_output(output_no_transpose)
    assert not check_sagan_energy(stub)
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and out.count("❌") == 2 and "not implemented yet" in out
    assert "your rows are the keys" in out and "columns of the attention" in out


def test_exercise_checkers_name_softmax_column_major_and_missing_gamma(capsys):
    def energy(x, w_q, w_k, pixels=lambda t: t.flatten(2)):
        q = torch.einsum("dc,bcn->bdn", w_q, pixels(x))
        k = torch.einsum("dc,bcn->bdn", w_k, pixels(x))
        return torch.einsum("bdn,bdm->bnm", q, k)

    def energy_softmaxed(x, w_q, w_k):
        return torch.softmax(energy(x, w_q, w_k), dim=-1)

    def energy_column_major(x, w_q, w_k):  # pixels numbered down the columns: n = col * H + row
        return energy(x, w_q, w_k, pixels=lambda t: t.transpose(2, 3).flatten(2))

    def o_of(v, attention):
        return torch.einsum("bcm,bnm->bcn", v, attention)  # (B, C, N), o_n = Σ_m attention[n, m] v_m

    def output_no_gamma(x, v, attention, gamma):
        return o_of(v, attention).reshape(x.shape) + x

    def output_column_major(x, v, attention, gamma):  # token n put back at (n % H, n // H)
        b, c, h, w = x.shape
        return gamma * o_of(v, attention).reshape(b, c, w, h).transpose(2, 3) + x

    assert not check_sagan_energy(energy_softmaxed)
    assert "softmax already" in capsys.readouterr().out
    assert not check_sagan_energy(energy_column_major)
    assert "column by column" in capsys.readouterr().out
    assert not check_sagan_output(output_no_gamma)
    assert "γ is missing" in capsys.readouterr().out
    assert not check_sagan_output(output_column_major)
    assert "column by column" in capsys.readouterr().out
