"""Reference values for the Keras losses and accuracies of compiled models (test/model/losses.test.ts):
each loss from logits (a softmax or sigmoid last layer, or fromLogits) and from probabilities
(Keras clips them to [1e-7, 1 - 1e-7]), and the count of correct predictions Keras's accuracy
takes for each loss."""
import torch
import torch.nn.functional as F

EPS = 1e-7


def build():
    torch.manual_seed(7)
    logits = torch.randn(6, 4) * 3
    labels = torch.tensor([0, 3, 1, 1, 2, 0])
    probs = torch.softmax(logits, -1)
    probs[1] = torch.tensor([0.0, 0.0, 1.0, 0.0])  # the label's probability is 0: only the clip keeps the loss finite
    one_hot = F.one_hot(labels, 4).float()
    soft = torch.softmax(torch.randn(6, 4), -1)  # probability targets
    # Binary: two outputs per example, targets in {0, 1} and in between.
    b_logits = torch.randn(6, 2) * 2
    b_targets = torch.tensor([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [0.3, 0.9], [0.0, 1.0], [0.6, 0.2]])
    b_probs = torch.sigmoid(b_logits)
    b_probs[0] = torch.tensor([0.0, 1.0])  # both wrong with certainty: the clip again
    # Regression: some outputs equal to their targets, for the exact-equality accuracy.
    r_out = torch.randn(6, 3)
    r_targets = r_out.clone()
    r_targets[::2, 1] += 0.5
    clip = lambda p: p.clamp(EPS, 1 - EPS)
    return {
        "logits": logits,
        "labels": labels,
        "probs": probs,
        "one_hot": one_hot,
        "soft": soft,
        "sparse_from_logits": F.cross_entropy(logits, labels),
        "sparse_from_probs": F.nll_loss(clip(probs).log(), labels),
        "categorical_from_logits": F.cross_entropy(logits, soft),
        "categorical_from_probs": -(soft * clip(probs).log()).sum(-1).mean(),
        "categorical_correct": (probs.argmax(-1) == soft.argmax(-1)).sum(),
        "sparse_correct": (probs.argmax(-1) == labels).sum(),
        "b_logits": b_logits,
        "b_probs": b_probs,
        "b_targets": b_targets,
        "binary_from_logits": F.binary_cross_entropy_with_logits(b_logits, b_targets),
        "binary_from_probs": F.binary_cross_entropy(clip(b_probs), b_targets),
        # Keras's binary accuracy: per example, the mean of (p > 0.5) == (y > 0.5); summed over the batch.
        "binary_correct": ((b_probs > 0.5) == (b_targets > 0.5)).float().mean(-1).sum(),
        "r_out": r_out,
        "r_targets": r_targets,
        "mse": F.mse_loss(r_out, r_targets),
        "mse_correct": (r_out == r_targets).float().mean(-1).sum(),
    }
