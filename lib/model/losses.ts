// Loss and accuracy by Keras name. A softmax (or sigmoid) last layer followed by a cross-entropy
// loss is computed from the layer's pre-activation output, as log_softmax + nll (or BCE with
// logits), which is stable where log(softmax(x)) is not.
import { describeValue, optionalBoolean, ownEntry, readOptions } from '../arguments.js';
import { camelCase } from '../nn/initializers.js';
import * as ops from '../ops.js';
import { tidy } from '../memory.js';
import type { Tensor } from '../tensor.js';

/** Loss names, in camelCase or snake_case. */
export type LossName =
  | 'sparseCategoricalCrossentropy'
  | 'categoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'meanSquaredError'
  | 'sparse_categorical_crossentropy'
  | 'categorical_crossentropy'
  | 'binary_crossentropy'
  | 'mean_squared_error'
  | 'mse'
  | 'meanAbsoluteError'
  | 'mean_absolute_error'
  | 'mae'
  | 'huber'
  | 'klDivergence'
  | 'kl_divergence'
  | 'kld';

/**
 * A loss given by name, optionally saying the model outputs logits (no final softmax/sigmoid), or
 * for huber its delta (default 1).
 */
export type LossSpec = LossName | { name: LossName; fromLogits?: boolean; delta?: number };

/** A loss bound to a model's last activation. */
export interface CompiledLoss {
  /** The camelCase name. */
  readonly name: string;
  /** True when the model must hand over its last layer's pre-activation output. */
  readonly usesPreActivation: boolean;
  /** The mean loss of a batch. */
  compute(output: Tensor, y: Tensor): Tensor;
  /** The model's output as Keras's metrics see it: after the last activation, where the loss took its input. */
  activate(output: Tensor): Tensor;
  /** The number of correct predictions in a batch (a device tensor). */
  correct(output: Tensor, y: Tensor): Tensor;
  /** Checks all targets once against the model's per-example output shape. */
  checkTargets(targets: Tensor, outputShape: number[]): void;
}

const EPSILON = 1e-7; // Keras's clip for probabilities

const LOSSES = [
  'sparseCategoricalCrossentropy',
  'categoricalCrossentropy',
  'binaryCrossentropy',
  'meanSquaredError',
  'meanAbsoluteError',
  'huber',
  'klDivergence',
];
// Keras's short names (case-insensitive, as Keras has both 'mse' and 'MSE').
const ALIASES: Record<string, string> = {
  mse: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  kld: 'klDivergence',
  bce: 'binaryCrossentropy',
};

/** Resolves a loss for a model whose last activation is `lastActivation`. */
export function compileLoss(spec: unknown, lastActivation: string): CompiledLoss {
  const {
    name: given,
    fromLogits: logitsOption,
    delta: deltaOption,
  } = typeof spec === 'object' && spec !== null
    ? readOptions<{ name: unknown; fromLogits: unknown; delta: unknown }>('compile', spec, ['name', 'fromLogits', 'delta'], 'loss')
    : { name: spec, fromLogits: undefined, delta: undefined };
  const fromLogits = optionalBoolean('compile', 'loss.fromLogits', logitsOption, false);
  const name = typeof given === 'string' ? (ownEntry(ALIASES, given.toLowerCase()) ?? camelCase(given)) : '';
  if (!LOSSES.includes(name)) {
    throw new RangeError(
      `compile: unknown loss ${describeValue(given)} (expected one of ${LOSSES.join(', ')}, in camelCase or snake_case)`,
    );
  }
  if (deltaOption !== undefined && name !== 'huber') throw new RangeError(`compile: loss '${name}' takes no option 'delta' (huber does)`);
  const delta = deltaOption ?? 1;
  if (typeof delta !== 'number' || !(delta > 0 && Number.isFinite(delta)))
    throw new RangeError(`compile: loss.delta must be a positive number, got ${describeValue(delta)}`);
  switch (name) {
    case 'sparseCategoricalCrossentropy': {
      const logits = fromLogits || lastActivation === 'softmax';
      return {
        name,
        usesPreActivation: lastActivation === 'softmax',
        activate: (out) => (lastActivation === 'softmax' ? ops.softmax(out) : out),
        // Labels were checked once before training, so no per-step range check (a sync on CUDA).
        // From probabilities, as Keras's TensorFlow backend: the clipped probabilities' logs are
        // taken as logits, so the clipped row is normalized again.
        compute: (out, y) => ops.crossEntropy(logits ? out : out.clamp(EPSILON, 1 - EPSILON).log(), y, { checkLabels: false }),
        correct: (out, y) => out.argmax(-1).eq(y).sum(),
        checkTargets: (targets, outputShape) => checkLabels(targets, outputShape[outputShape.length - 1]),
      };
    }
    case 'categoricalCrossentropy': {
      const logits = fromLogits || lastActivation === 'softmax';
      return {
        name,
        usesPreActivation: lastActivation === 'softmax',
        activate: (out) => (lastActivation === 'softmax' ? ops.softmax(out) : out),
        compute: (out, y) => (logits ? ops.crossEntropy(out, y) : y.mul(probabilities(out).log()).sum(-1).mean().neg()),
        correct: (out, y) => out.argmax(-1).eq(y.argmax(-1)).sum(),
        checkTargets: (targets, outputShape) => checkTargetShape(targets, outputShape, 'one-hot or probability targets'),
      };
    }
    case 'binaryCrossentropy': {
      const logits = fromLogits || lastActivation === 'sigmoid';
      return {
        name,
        usesPreActivation: lastActivation === 'sigmoid',
        activate: (out) => (lastActivation === 'sigmoid' ? ops.sigmoid(out) : out),
        compute: (out, y) =>
          logits ? ops.binaryCrossEntropyWithLogits(out, y) : ops.binaryCrossEntropy(out.clamp(EPSILON, 1 - EPSILON), y),
        // Keras's binary accuracy: the mean over each example's outputs of (p > 0.5) == (y > 0.5).
        correct: (out, y) =>
          out
            .gt(logits ? 0 : 0.5)
            .eq(y.gt(0.5))
            .to('float32')
            .mean(-1)
            .sum(),
        checkTargets: (targets, outputShape) => checkTargetShape(targets, outputShape, 'targets in [0, 1]'),
      };
    }
    default:
      return regression(name, REGRESSION[name as keyof typeof REGRESSION](delta));
  }
}

// Keras's regression losses, per example (the mean over its last axis), then over the batch.
const REGRESSION = {
  meanSquaredError: () => (out: Tensor, y: Tensor) => ops.mse(out, y),
  meanAbsoluteError: () => (out: Tensor, y: Tensor) => out.sub(y).abs().mean(),
  // 0.5·e² where |e| <= delta, else delta·(|e| - 0.5·delta): with q = min(|e|, delta), 0.5·q² + delta·(|e| - q).
  huber: (delta: number) => (out: Tensor, y: Tensor) => {
    const error = out.sub(y).abs();
    const quadratic = error.clamp(null, delta);
    return quadratic.pow(2).mul(0.5).add(error.sub(quadratic).mul(delta)).mean();
  },
  // Σ y·log(y / p) over the last axis, both clipped to [1e-7, 1] as Keras clips them. A p of exactly
  // 1 keeps its gradient, as under TensorFlow's clip (libtorch 2.14's clamp drops it there).
  klDivergence: () => (out: Tensor, y: Tensor) => {
    const target = y.clamp(EPSILON, 1);
    const p = out.where(out.le(1), 1).clamp(EPSILON, null);
    return target.mul(target.div(p).log()).sum(-1).mean();
  },
};

function regression(name: string, compute: (out: Tensor, y: Tensor) => Tensor): CompiledLoss {
  return {
    name,
    usesPreActivation: false,
    activate: (out) => out,
    compute,
    // Keras's plain 'accuracy' for a regression loss: exact equality, averaged per example.
    correct: (out, y) => out.eq(y).to('float32').mean(-1).sum(),
    checkTargets: (targets, outputShape) => checkTargetShape(targets, outputShape, 'targets'),
  };
}

// Keras's probabilities for categorical cross-entropy: each row scaled to sum to 1, then clipped.
function probabilities(out: Tensor): Tensor {
  return out.div(out.sum(-1, true)).clamp(EPSILON, 1 - EPSILON);
}

function checkLabels(labels: Tensor, classes: number): void {
  if (labels.rank !== 1) throw new RangeError(`sparse categorical labels must be one integer per example, got shape [${labels.shape}]`);
  if (labels.dtype.startsWith('float') || labels.dtype === 'bool') {
    throw new TypeError(
      `sparse categorical labels must be integers, got ${labels.dtype} (use int32 or int64 labels, or categoricalCrossentropy for one-hot targets)`,
    );
  }
  if (labels.numel === 0) return;
  const [low, high] = tidy(() => [labels.min().item() as number, labels.max().item() as number]);
  if (low < 0 || high >= classes)
    throw new RangeError(`labels must be in [0, ${classes}) for a model with ${classes} outputs, got label ${low < 0 ? low : high}`);
}

function checkTargetShape(targets: Tensor, outputShape: number[], what: string): void {
  const per = targets.shape.slice(1);
  if (per.join() !== outputShape.join()) {
    throw new RangeError(`${what} must have the model's output shape [None, ${outputShape}], got [${targets.shape}]`);
  }
}
