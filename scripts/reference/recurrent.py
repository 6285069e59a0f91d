"""Reference values for ops.lstm and ops.gru (test/nn/recurrent.test.ts): the op behind torch.nn.LSTM
and torch.nn.GRU (torch._VF.lstm / gru: batch first, zero initial states, one layer) run with
weights given in Keras's layout -- kernel [features, gates * units], recurrent kernel [units,
gates * units], gates in Keras's order, LSTM's one bias [4 * units] (PyTorch's second bias zero),
GRU's bias [2, 3 * units] -- mapped onto PyTorch's parameters differentiably; with a random upstream gradient and the gradients of the input
and of each Keras-layout weight. The *_steps cases are the layers' step-by-step path (activations
other than Keras's defaults, GRU's reset_after=False): Keras's cell formulas written in PyTorch."""
import torch

from ops import case


def gru_gates(t):
    """Keras's GRU gates (z, r, h) along the last dim, in PyTorch's order (r, z, n)."""
    z, r, h = t.chunk(3, dim=-1)
    return torch.cat([r, z, h], dim=-1)


def zero_state(x, recurrent):
    return x.new_zeros(1, x.shape[0], recurrent.shape[0])


# Not functional_call on the modules: PyTorch 1.13's RNN modules read weights cached at construction.
def lstm(x, kernel, recurrent, bias=None):
    params = [kernel.t(), recurrent.t()] + ([bias, torch.zeros_like(bias)] if bias is not None else [])
    h0 = zero_state(x, recurrent)
    return torch._VF.lstm(x, (h0, h0), params, bias is not None, 1, 0.0, True, False, True)[0]


def gru(x, kernel, recurrent, bias=None):
    params = [gru_gates(kernel).t(), gru_gates(recurrent).t()] + ([gru_gates(bias[0]), gru_gates(bias[1])] if bias is not None else [])
    return torch._VF.gru(x, zero_state(x, recurrent), params, bias is not None, 1, 0.0, True, False, True)[0]


def lstm_steps(x, kernel, recurrent, bias, act=torch.relu, gate=torch.sigmoid):
    """Keras's LSTMCell with activation `act` (recurrent activation `gate`), every step's output."""
    h = c = x.new_zeros(x.shape[0], recurrent.shape[0])
    outputs = []
    for t in range(x.shape[1]):
        i, f, g, o = (x[:, t] @ kernel + h @ recurrent + bias).chunk(4, dim=-1)
        c = gate(f) * c + gate(i) * act(g)
        h = gate(o) * act(c)
        outputs.append(h)
    return torch.stack(outputs, 1)


def gru_reset_before_steps(x, kernel, recurrent, bias):
    """Keras's GRUCell with reset_after=False (bias [3 * units]), every step's output."""
    units = recurrent.shape[0]
    h = x.new_zeros(x.shape[0], units)
    outputs = []
    for t in range(x.shape[1]):
        xz, xr, xh = (x[:, t] @ kernel + bias).chunk(3, dim=-1)
        z = torch.sigmoid(xz + h @ recurrent[:, :units])
        r = torch.sigmoid(xr + h @ recurrent[:, units:2 * units])
        candidate = torch.tanh(xh + (r * h) @ recurrent[:, 2 * units:])
        h = z * h + (1 - z) * candidate
        outputs.append(h)
    return torch.stack(outputs, 1)


def build():
    torch.manual_seed(4)
    r = torch.randn
    return {
        "lstm": case(lstm, x=r(3, 5, 4), kernel=r(4, 12) * 0.5, recurrent=r(3, 12) * 0.5, bias=r(12) * 0.5),
        "lstm_nobias_batch1": case(lstm, x=r(1, 7, 2), kernel=r(2, 20) * 0.5, recurrent=r(5, 20) * 0.5),
        "gru": case(gru, x=r(3, 5, 4), kernel=r(4, 9) * 0.5, recurrent=r(3, 9) * 0.5, bias=r(2, 9) * 0.5),
        "gru_nobias_batch1": case(gru, x=r(1, 7, 2), kernel=r(2, 15) * 0.5, recurrent=r(5, 15) * 0.5),
        "lstm_relu_steps": case(lstm_steps, x=r(2, 5, 3), kernel=r(3, 16) * 0.5, recurrent=r(4, 16) * 0.5, bias=r(16) * 0.5),
        "gru_reset_before_steps": case(gru_reset_before_steps, x=r(2, 5, 3), kernel=r(3, 12) * 0.5, recurrent=r(4, 12) * 0.5,
                                       bias=r(12) * 0.5),
    }
