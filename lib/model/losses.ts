// Loss and accuracy by Keras name. A softmax (or sigmoid) last layer followed by a cross-entropy
// loss is computed from the layer's pre-activation output, as log_softmax + nll (or BCE with
// logits), which is stable where log(softmax(x)) is not.
import { describeValue, optionalBoolean, readOptions } from '../arguments.js';
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
  | 'mse';

/** A loss given by name, optionally saying the model outputs logits (no final softmax/sigmoid). */
export type LossSpec = LossName | { name: LossName; fromLogits?: boolean };

/** A loss bound to a model's last activation. */
export interface CompiledLoss {
  /** The camelCase name. */
  readonly name: string;
  /** True when the model must hand over its last layer's pre-activation output. */
  readonly usesPreActivation: boolean;
  /** The mean loss of a batch. */
  compute(output: Tensor, y: Tensor): Tensor;
  /** The number of correct predictions in a batch (a device tensor). */
  correct(output: Tensor, y: Tensor): Tensor;
  /** Checks all targets once against the model's per-example output shape. */
  checkTargets(targets: Tensor, outputShape: number[]): void;
}

const EPSILON = 1e-7; // Keras's clip for probabilities

const LOSSES = ['sparseCategoricalCrossentropy', 'categoricalCrossentropy', 'binaryCrossentropy', 'meanSquaredError'];

/** Resolves a loss for a model whose last activation is `lastActivation`. */
export function compileLoss(spec: unknown, lastActivation: string): CompiledLoss {
  const { name: given, fromLogits: logitsOption } =
    typeof spec === 'object' && spec !== null
      ? readOptions<{ name: unknown; fromLogits: unknown }>('compile', spec, ['name', 'fromLogits'], 'loss')
      : { name: spec, fromLogits: undefined };
  const fromLogits = optionalBoolean('compile', 'loss.fromLogits', logitsOption, false);
  const name = given === 'mse' ? 'meanSquaredError' : typeof given === 'string' ? camelCase(given) : '';
  if (!LOSSES.includes(name)) {
    throw new RangeError(
      `compile: unknown loss ${describeValue(given)} (expected one of ${LOSSES.join(', ')}, in camelCase or snake_case)`,
    );
  }
  switch (name) {
    case 'sparseCategoricalCrossentropy': {
      const logits = fromLogits || lastActivation === 'softmax';
      return {
        name,
        usesPreActivation: lastActivation === 'softmax',
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
      return {
        name,
        usesPreActivation: false,
        compute: (out, y) => ops.mse(out, y),
        // Keras's plain 'accuracy' for a regression loss: exact equality, averaged per example.
        correct: (out, y) => out.eq(y).to('float32').mean(-1).sum(),
        checkTargets: (targets, outputShape) => checkTargetShape(targets, outputShape, 'targets'),
      };
  }
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
