"""Metrics as Keras computes them (test/model/keras-metrics.test.ts): each metric's result after
three batches given to update_state, from the model's output (probabilities, scores) and targets."""
import numpy as np
from keras import metrics

# name: (Keras metric, torchlet spec, inputs)
CASES = {
    "top_k_sparse": (lambda: metrics.SparseTopKCategoricalAccuracy(k=3), {"name": "sparseTopKCategoricalAccuracy", "k": 3}, "scores"),
    "top_k_default": (lambda: metrics.TopKCategoricalAccuracy(), "topKCategoricalAccuracy", "scoresOneHot"),
    "top_k_ties": (lambda: metrics.SparseTopKCategoricalAccuracy(k=2), {"name": "sparse_top_k_categorical_accuracy", "k": 2}, "ties"),
    "precision": (lambda: metrics.Precision(), "precision", "binary"),
    "recall": (lambda: metrics.Recall(), "recall", "binary"),
    "precision_threshold": (lambda: metrics.Precision(thresholds=0.3), {"name": "precision", "threshold": 0.3}, "multilabel"),
    "recall_threshold": (lambda: metrics.Recall(thresholds=0.7), {"name": "recall", "threshold": 0.7}, "multilabel"),
    "auc": (lambda: metrics.AUC(), "auc", "binary"),
    "auc_multilabel": (lambda: metrics.AUC(num_thresholds=50), {"name": "AUC", "numThresholds": 50}, "multilabel"),
    "mae": (lambda: metrics.MeanAbsoluteError(), "mae", "regression"),
    "mse": (lambda: metrics.MeanSquaredError(), "mean_squared_error", "regression"),
}


def build():
    rng = np.random.default_rng(4)
    labels = [rng.integers(0, 10, n) for n in (8, 5, 7)]
    scores = [rng.standard_normal((len(y), 10)).astype(np.float32) for y in labels]
    # Scores on a coarse grid, so that the target ties with other classes at the top-k boundary.
    tie_scores = [np.round(s).astype(np.float32) for s in scores]
    binary_p = [rng.random((n, 1)).astype(np.float32) for n in (8, 5, 7)]
    binary_y = [(rng.random((len(p), 1)) < p).astype(np.float32) for p in binary_p]
    multi_p = [rng.random((n, 3)).astype(np.float32) for n in (6, 4, 5)]
    multi_y = [(rng.random(p.shape) < 0.4).astype(np.float32) for p in multi_p]
    regression_p = [rng.standard_normal((n, 3)).astype(np.float32) for n in (6, 4, 5)]
    regression_y = [rng.standard_normal(p.shape).astype(np.float32) for p in regression_p]
    inputs = {
        "regression": (regression_p, regression_y),
        "scores": (scores, labels),
        "scoresOneHot": (scores, [np.eye(10, dtype=np.float32)[y] for y in labels]),
        "ties": (tie_scores, labels),
        "binary": (binary_p, binary_y),
        "multilabel": (multi_p, multi_y),
    }
    out = {"inputs": {k: {"outputs": o, "targets": t} for k, (o, t) in inputs.items()}, "cases": {}}
    for name, (make, spec, which) in CASES.items():
        metric = make()
        outputs, targets = inputs[which]
        for o, t in zip(outputs, targets):
            metric.update_state(t, o)
        out["cases"][name] = {"spec": spec, "inputs": which, "result": float(metric.result())}
    return out
