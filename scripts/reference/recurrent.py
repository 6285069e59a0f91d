"""Reference values for ops.lstm and ops.gru (test/nn/recurrent.test.ts): torch.nn.LSTM and
torch.nn.GRU (batch first, zero initial states) run with weights given in Keras's layout -- kernel
[features, gates * units], recurrent kernel [units, gates * units], gates in Keras's order, LSTM's
one bias [4 * units] (PyTorch's second bias zero), GRU's bias [2, 3 * units] -- mapped onto
PyTorch's parameters differentiably; with a random upstream gradient and the gradients of the input
and of each Keras-layout weight."""
import torch

try:
    from torch.func import functional_call
except ImportError:  # PyTorch 1.13 (Debian's), before torch.func
    from torch.nn.utils.stateless import functional_call

from ops import case


def gru_gates(t):
    """Keras's GRU gates (z, r, h) along the last dim, in PyTorch's order (r, z, n)."""
    z, r, h = t.chunk(3, dim=-1)
    return torch.cat([r, z, h], dim=-1)


def lstm(x, kernel, recurrent, bias=None):
    units = recurrent.shape[0]
    module = torch.nn.LSTM(kernel.shape[0], units, batch_first=True, bias=bias is not None)
    params = {"weight_ih_l0": kernel.t(), "weight_hh_l0": recurrent.t()}
    if bias is not None:
        params.update(bias_ih_l0=bias, bias_hh_l0=torch.zeros_like(bias))
    return functional_call(module, params, (x,))[0]


def gru(x, kernel, recurrent, bias=None):
    units = recurrent.shape[0]
    module = torch.nn.GRU(kernel.shape[0], units, batch_first=True, bias=bias is not None)
    params = {"weight_ih_l0": gru_gates(kernel).t(), "weight_hh_l0": gru_gates(recurrent).t()}
    if bias is not None:
        params.update(bias_ih_l0=gru_gates(bias[0]), bias_hh_l0=gru_gates(bias[1]))
    return functional_call(module, params, (x,))[0]


def build():
    torch.manual_seed(4)
    r = torch.randn
    return {
        "lstm": case(lstm, x=r(3, 5, 4), kernel=r(4, 12) * 0.5, recurrent=r(3, 12) * 0.5, bias=r(12) * 0.5),
        "lstm_nobias_batch1": case(lstm, x=r(1, 7, 2), kernel=r(2, 20) * 0.5, recurrent=r(5, 20) * 0.5),
        "gru": case(gru, x=r(3, 5, 4), kernel=r(4, 9) * 0.5, recurrent=r(3, 9) * 0.5, bias=r(2, 9) * 0.5),
        "gru_nobias_batch1": case(gru, x=r(1, 7, 2), kernel=r(2, 15) * 0.5, recurrent=r(5, 15) * 0.5),
    }
