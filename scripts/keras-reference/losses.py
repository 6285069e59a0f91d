"""Losses as Keras computes them (test/model/keras-losses.test.ts): the mean loss of a batch and
its gradient with respect to the model's output. Cross-entropy from probabilities, for rows that
hold exact 0s and 1s (clipped to [1e-7, 1 - 1e-7]) and rows that do not sum to 1; huber (both
sides of delta), mean absolute error and KL divergence."""
import numpy as np
import tensorflow as tf
from keras import losses


def value_and_grad(loss, y, p):
    p = tf.Variable(p)
    with tf.GradientTape() as tape:
        value = loss(y, p)
    return {"loss": value.numpy(), "grad": tape.gradient(value, p).numpy()}


def build():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(4), 6).astype(np.float32)
    probs[0] = [1, 0, 0, 0]  # certain and right
    probs[1] = [0, 1, 0, 0]  # certain and wrong
    probs[2] *= 0.5  # sums to 0.5
    probs[3] = [0.7, 0.6, 0.2, 0.1]  # sums to 1.6
    sparse = np.array([0, 0, 1, 2, 3, 1], dtype=np.int64)
    soft = rng.dirichlet(np.ones(4), 6).astype(np.float32)
    binary = np.array([[0, 1, 0.3, 1e-9], [1, 0.5, 0.999999, 0.2]], dtype=np.float32)
    binary_targets = np.array([[0, 1, 1, 0], [1, 0, 1, 0.5]], dtype=np.float32)
    regression = rng.standard_normal((5, 3)).astype(np.float32) * 2
    regression_targets = rng.standard_normal((5, 3)).astype(np.float32)
    return {
        "regression": regression, "regressionTargets": regression_targets,
        "huber": value_and_grad(losses.Huber(), regression_targets, regression),
        "huberHalf": value_and_grad(losses.Huber(delta=0.5), regression_targets, regression),
        "meanAbsoluteError": value_and_grad(losses.MeanAbsoluteError(), regression_targets, regression),
        "klDivergence": value_and_grad(losses.KLDivergence(), soft, probs),
        "probs": probs, "sparse": sparse, "soft": soft, "binary": binary, "binaryTargets": binary_targets,
        "sparseCategoricalCrossentropy": value_and_grad(losses.SparseCategoricalCrossentropy(), sparse, probs),
        "categoricalCrossentropy": value_and_grad(losses.CategoricalCrossentropy(), soft, probs),
        "binaryCrossentropy": value_and_grad(losses.BinaryCrossentropy(), binary_targets, binary),
    }
