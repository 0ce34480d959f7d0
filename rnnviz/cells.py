"""Two recurrent cells written from their equations, for the model zoo: the minimal GRU and the peephole LSTM.

Neither exists in PyTorch (nn.GRU always has a reset gate; nn.LSTM's gates never look at the cell), so both are
written here step by step, like the scratch RNN, in d2l's notation (row vectors, X_t W + b)::

    gru-min        Z_t = σ(X_t W_xz + H_{t−1} W_hz + b_z)                       update gate      (B, H)
                   H̃_t = tanh(X_t W_xh + H_{t−1} W_hh + b_h)                    candidate        (B, H)
                   H_t = Z_t ⊙ H_{t−1} + (1 − Z_t) ⊙ H̃_t

    lstm-peephole  I_t = σ(X_t W_xi + H_{t−1} W_hi + w_ci ⊙ C_{t−1} + b_i)      input gate
                   F_t = σ(X_t W_xf + H_{t−1} W_hf + w_cf ⊙ C_{t−1} + b_f)      forget gate
                   C̃_t = tanh(X_t W_xc + H_{t−1} W_hc + b_c)                    candidate
                   C_t = F_t ⊙ C_{t−1} + I_t ⊙ C̃_t                              cell
                   O_t = σ(X_t W_xo + H_{t−1} W_ho + w_co ⊙ C_t + b_o)          output gate: peeks at the NEW cell
                   H_t = O_t ⊙ tanh(C_t)

The minimal GRU is the simplified GRU of Andrew Ng's sequence-models course, which has only the update gate:
c̃⟨t⟩ = tanh(W_c[c⟨t−1⟩, x⟨t⟩] + b_c), Γ_u = σ(W_u[c⟨t−1⟩, x⟨t⟩] + b_u), c⟨t⟩ = Γ_u ∗ c̃⟨t⟩ + (1 − Γ_u) ∗ c⟨t−1⟩,
a⟨t⟩ = c⟨t⟩. Its Γ_u weights the new candidate where d2l's Z_t (used here, as in rnnviz's GRU) weights the old
state: Γ_u = 1 − Z_t, the same model with W_u = −W_z, b_u = −b_z. The peephole connections w_c· (vectors: each unit
looks only at its own cell) are those of Gers & Schmidhuber (2000).

:class:`StackedCells` stacks either cell the way nn.LSTM stacks its layers (``num_layers``, ``bidirectional``,
dropout on the outputs of every layer but the last, in training mode only) and has nn.LSTM's interface::

    out, state = StackedCells("lstm-peephole", 28, 256)(x, state)   # x (T, B, in) → out (T, B, D·H)

with ``state`` a tensor ``(layers·directions, B, H)`` for the minimal GRU and a pair ``(H, C)`` of them for the
peephole LSTM (None means zeros), in nn.GRU's and nn.LSTM's layout: index ``layer·D + direction``. Every weight
starts as U(−1/√H, 1/√H), nn.LSTM's initialisation, so the variants start like the PyTorch kinds they sit beside.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

CELL_KINDS = ("gru-min", "lstm-peephole")


def _param(bound: float, *shape: int) -> nn.Parameter:
    return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))


class MinimalGRUCell(nn.Module):
    """One direction of one layer of the minimal GRU (the module docstring has its equations).

    Parameters: ``W_xz`` (in, H), ``W_hz`` (H, H), ``b_z`` (H,) for the update gate Z_t; ``W_xh``, ``W_hh``, ``b_h``
    for the candidate H̃_t. The state is H (B, H).
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1 / math.sqrt(hidden_size)
        H = hidden_size
        self.W_xz, self.W_hz, self.b_z = _param(k, input_size, H), _param(k, H, H), _param(k, H)
        self.W_xh, self.W_hh, self.b_h = _param(k, input_size, H), _param(k, H, H), _param(k, H)

    def zero_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        return torch.zeros(batch_size, self.hidden_size, device=device or self.b_z.device,
                           dtype=dtype or self.b_z.dtype)

    def forward(self, X: torch.Tensor, H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """X: (T, B, in), H: (B, H) → outputs H_1..H_T (T, B, H) and H_T."""
        n = self.hidden_size
        # X_t W_x· + b_· for all steps in one matmul, both blocks [z | h]; only H_{t-1} W_h· needs the loop.
        XW = X @ torch.cat([self.W_xz, self.W_xh], dim=1) + torch.cat([self.b_z, self.b_h])  # (T, B, 2H)
        W_h = torch.cat([self.W_hz, self.W_hh], dim=1)  # (H, 2H)
        outs = []
        for xw in XW.unbind(0):  # unbind, not XW[t]: backprop through T indexings would zero-fill XW's size T times
            a = torch.addmm(xw, H, W_h)  # (B, 2H)
            Z = torch.sigmoid(a[:, :n])  # update gate (B, H)
            H_tilde = torch.tanh(a[:, n:])  # candidate (B, H)
            H = torch.lerp(H_tilde, H, Z)  # Z ⊙ H_{t-1} + (1 − Z) ⊙ H̃_t in one op: (B, H)
            outs.append(H)
        return torch.stack(outs), H


class PeepholeLSTMCell(nn.Module):
    """One direction of one layer of the peephole LSTM (the module docstring has its equations).

    Parameters per gate g in i (input), f (forget), o (output): ``W_xg`` (in, H), ``W_hg`` (H, H), ``w_cg`` (H,) the
    peephole, ``b_g`` (H,); the candidate has ``W_xc``, ``W_hc``, ``b_c`` and no peephole. The state is (H, C).
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1 / math.sqrt(hidden_size)
        H = hidden_size
        for g in "ifoc":  # input, forget, output gates and the candidate: the blocks' order below
            setattr(self, f"W_x{g}", _param(k, input_size, H))
            setattr(self, f"W_h{g}", _param(k, H, H))
            setattr(self, f"b_{g}", _param(k, H))
        self.w_ci, self.w_cf, self.w_co = _param(k, H), _param(k, H), _param(k, H)

    def zero_state(self, batch_size: int, device=None, dtype=None) -> tuple[torch.Tensor, torch.Tensor]:
        z = torch.zeros(batch_size, self.hidden_size, device=device or self.b_i.device, dtype=dtype or self.b_i.dtype)
        return z, z.clone()

    def forward(self, X: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        """X: (T, B, in), state (H, C) each (B, H) → outputs H_1..H_T (T, B, H) and (H_T, C_T)."""
        n = self.hidden_size
        H, C = state
        W_x = torch.cat([self.W_xi, self.W_xf, self.W_xo, self.W_xc], dim=1)  # (in, 4H): blocks [i | f | o | c]
        W_h = torch.cat([self.W_hi, self.W_hf, self.W_ho, self.W_hc], dim=1)  # (H, 4H)
        b = torch.cat([self.b_i, self.b_f, self.b_o, self.b_c])  # (4H,)
        XW = X @ W_x + b  # (T, B, 4H)
        outs = []
        for xw in XW.unbind(0):  # see MinimalGRUCell.forward
            a_i, a_f, a_o, a_c = torch.addmm(xw, H, W_h).split(n, dim=1)  # (B, H) each, without the peepholes
            I = torch.sigmoid(torch.addcmul(a_i, self.w_ci, C))  # input gate peeks at C_{t-1}
            F_gate = torch.sigmoid(torch.addcmul(a_f, self.w_cf, C))  # so does the forget gate
            C = torch.addcmul(F_gate * C, I, torch.tanh(a_c))  # cell: F_t ⊙ C_{t-1} + I_t ⊙ C̃_t
            O = torch.sigmoid(torch.addcmul(a_o, self.w_co, C))  # the output gate peeks at the NEW cell C_t
            H = O * torch.tanh(C)  # (B, H)
            outs.append(H)
        return torch.stack(outs), (H, C)


CELLS: dict[str, type[nn.Module]] = {"gru-min": MinimalGRUCell, "lstm-peephole": PeepholeLSTMCell}


class StackedCells(nn.Module):
    """Layers of one cell kind stacked like nn.LSTM, with its interface (see the module docstring).

    The cells are ``cells["l0"]``, ``cells["l0_reverse"]``, ``cells["l1"]`` …, PyTorch's suffixes; layer l > 0
    reads the layer below's output (T, B, D·H), forward units first.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0):
        super().__init__()
        if kind not in CELLS:
            raise ValueError(f"unknown cell {kind!r}; choose one of {', '.join(CELLS)}")
        self.kind, self.hidden_size, self.num_layers = kind, hidden_size, num_layers
        self.bidirectional, self.dropout = bidirectional, dropout
        self.directions = 2 if bidirectional else 1
        self.has_cell = kind == "lstm-peephole"
        self.cells = nn.ModuleDict()
        for layer in range(num_layers):
            n_in = input_size if layer == 0 else hidden_size * self.directions
            for d in range(self.directions):
                self.cells[self._name(layer, d)] = CELLS[kind](n_in, hidden_size)

    @staticmethod
    def _name(layer: int, direction: int) -> str:
        return f"l{layer}{'_reverse' if direction else ''}"

    def cell(self, layer: int, direction: int = 0) -> nn.Module:
        return self.cells[self._name(layer, direction)]

    def layer_cells(self, layer: int) -> list[nn.Module]:
        """The cells of ``layer``: [forward] or [forward, backward]."""
        return [self.cell(layer, d) for d in range(self.directions)]

    def zero_state(self, batch_size: int, device=None, dtype=None):
        """Zeros ``(layers·directions, B, H)``, a pair of them for the peephole LSTM."""
        first = next(self.parameters())
        shape = (self.num_layers * self.directions, batch_size, self.hidden_size)
        h = torch.zeros(shape, device=device or first.device, dtype=dtype or first.dtype)
        return (h, h.clone()) if self.has_cell else h

    def _state_of(self, state, k: int):
        """Cell k's share of the stacked state: H (B, H), or (H, C)."""
        return (state[0][k], state[1][k]) if self.has_cell else state[k]

    def run_layer(self, layer: int, x: torch.Tensor, states: list | None = None) -> tuple[torch.Tensor, list]:
        """x: (T, B, in) through both directions of ``layer`` (no dropout) → (T, B, D·H) and each direction's last
        state. ``states``: each direction's first state (None: zeros)."""
        outs, last = [], []
        for d, cell in enumerate(self.layer_cells(layer)):
            s = states[d] if states is not None else cell.zero_state(x.shape[1], x.device, x.dtype)
            if d == 0:
                out, s = cell(x, s)
            else:  # reads right to left: H_{t+1} is its previous state
                out, s = cell(x.flip(0), s)
                out = out.flip(0)
            outs.append(out)
            last.append(s)
        return torch.cat(outs, dim=-1) if len(outs) > 1 else outs[0], last

    def forward(self, x: torch.Tensor, state=None):
        """x: (T, B, in) → out (T, B, D·H) of the last layer, and the new state (same layout as ``state``)."""
        if state is None:
            state = self.zero_state(x.shape[1], x.device, x.dtype)
        D = self.directions
        new = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout:
                x = F.dropout(x, self.dropout, self.training)
            x, last = self.run_layer(layer, x, [self._state_of(state, layer * D + d) for d in range(D)])
            new += last
        if self.has_cell:
            return x, (torch.stack([h for h, _ in new]), torch.stack([c for _, c in new]))
        return x, torch.stack(new)


__all__ = ["CELL_KINDS", "CELLS", "MinimalGRUCell", "PeepholeLSTMCell", "StackedCells"]
