// Metrics by Keras name. Each keeps float64 sums on the device (a confusion count, correct
// predictions), added to in place by every step with no host sync; the host reads them once per
// log. They see the model's output as Keras's do: probabilities after a final softmax or sigmoid.
import { describeValue, readOptions } from '../arguments.js';
import { arange } from '../create.js';
import { camelCase } from '../nn/initializers.js';
import { stack, type Tensor } from '../tensor.js';
import type { CompiledLoss } from './losses.js';

/** Metric names compile() accepts, in camelCase or snake_case. */
export type MetricName =
  | 'accuracy'
  | 'acc'
  | 'topKCategoricalAccuracy'
  | 'top_k_categorical_accuracy'
  | 'sparseTopKCategoricalAccuracy'
  | 'sparse_top_k_categorical_accuracy'
  | 'precision'
  | 'recall'
  | 'auc'
  | 'AUC'
  | 'meanAbsoluteError'
  | 'mean_absolute_error'
  | 'mae'
  | 'meanSquaredError'
  | 'mean_squared_error'
  | 'mse';

/**
 * A metric by name, or with its options: `{ name: 'topKCategoricalAccuracy', k }` (default 5),
 * `{ name: 'precision' | 'recall', threshold }` (default 0.5), `{ name: 'auc', numThresholds }` (default 200).
 */
export type MetricSpec = MetricName | { name: MetricName; k?: number; threshold?: number; numThresholds?: number };

/** A metric bound to a model's loss. */
export interface CompiledMetric {
  /** The key in the logs: the name as given. */
  readonly name: string;
  /** The shape of its device sums. */
  readonly shape: number[];
  /** What one batch adds to the sums (float64, `shape`). */
  update(output: Tensor, y: Tensor): Tensor;
  /** The value from the sums read on the host, after `seen` examples. */
  result(sums: Float64Array, seen: number): number;
  /** Checks the targets once against the model's per-example output shape. */
  checkTargets(targets: Tensor, outputShape: number[]): void;
}

const NAMES = [
  'accuracy',
  'topKCategoricalAccuracy',
  'sparseTopKCategoricalAccuracy',
  'precision',
  'recall',
  'auc',
  'meanAbsoluteError',
  'meanSquaredError',
];
const ALIASES: Record<string, string> = { acc: 'accuracy', AUC: 'auc', mae: 'meanAbsoluteError', mse: 'meanSquaredError' };

/** Resolves compile()'s metrics for a model compiled with `loss`. */
export function compileMetrics(given: unknown, loss: CompiledLoss): CompiledMetric[] {
  if (!Array.isArray(given)) throw new TypeError(`compile: metrics must be an array, got ${describeValue(given)}`);
  const metrics = [...(given as unknown[])].map((spec) => compileMetric(spec, loss));
  const names = metrics.map((m) => m.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new RangeError(`compile: metric '${twice}' is given twice`);
  return metrics;
}

function compileMetric(spec: unknown, loss: CompiledLoss): CompiledMetric {
  const { name: given, ...options } =
    typeof spec === 'object' && spec !== null
      ? readOptions<{ name: unknown; k: unknown; threshold: unknown; numThresholds: unknown }>(
          'compile',
          spec,
          ['name', 'k', 'threshold', 'numThresholds'],
          'metric',
        )
      : { name: spec };
  const name = typeof given === 'string' ? (Object.hasOwn(ALIASES, given) ? ALIASES[given] : camelCase(given)) : '';
  if (!NAMES.includes(name)) {
    throw new RangeError(
      `compile: unknown metric ${describeValue(given)} (expected one of ${NAMES.join(', ')}, in camelCase or snake_case)`,
    );
  }
  const key = given as string;
  const allowed = {
    topKCategoricalAccuracy: 'k',
    sparseTopKCategoricalAccuracy: 'k',
    precision: 'threshold',
    recall: 'threshold',
    auc: 'numThresholds',
  }[name];
  for (const option of Object.keys(options)) {
    if (option !== allowed)
      throw new RangeError(`compile: metric '${key}' takes no option '${option}'${allowed ? ` (it takes '${allowed}')` : ''}`);
  }
  switch (name) {
    case 'accuracy':
      return count(
        key,
        (out, y) => loss.correct(out, y),
        (targets, outputShape) => loss.checkTargets(targets, outputShape),
      );
    case 'topKCategoricalAccuracy':
    case 'sparseTopKCategoricalAccuracy':
      return topK(key, name === 'sparseTopKCategoricalAccuracy', integer(key, 'k', options.k ?? 5, 1));
    case 'precision':
    case 'recall':
      return precisionRecall(key, name, fraction(key, 'threshold', options.threshold ?? 0.5), loss);
    case 'meanAbsoluteError':
    case 'meanSquaredError':
      return meanError(key, name === 'meanSquaredError', loss);
    default:
      return auc(key, integer(key, 'numThresholds', options.numThresholds ?? 200, 2), loss);
  }
}

// A count per example, averaged over the examples seen.
function count(name: string, counted: (out: Tensor, y: Tensor) => Tensor, checkTargets: CompiledMetric['checkTargets']): CompiledMetric {
  return {
    name,
    shape: [],
    update: (out, y) => counted(out, y).to('float64'),
    result: (sums, seen) => sums[0] / seen,
    checkTargets,
  };
}

// As TensorFlow's in_top_k, which Keras uses: the target is in the top k when fewer than k
// classes score higher than it (classes tied with it straddling the boundary count as in).
function topK(name: string, sparse: boolean, k: number): CompiledMetric {
  return count(
    name,
    (out, y) => {
      const target = sparse ? y.to('int64') : y.argmax(-1);
      const score = out.gather(-1, target.unsqueeze(-1));
      return out.gt(score).sum(-1).lt(k).sum();
    },
    (targets, outputShape) => {
      const want = sparse ? 'one integer label per example' : `one-hot targets of shape [None, ${outputShape}]`;
      const ok = sparse ? targets.rank === 1 : targets.shape.slice(1).join() === outputShape.join();
      if (!ok) throw new RangeError(`${name}: needs ${want}, got targets of shape [${targets.shape}]`);
    },
  );
}

// The model's output as Keras's metrics see it: after its last activation.
const probabilities = (loss: CompiledLoss) => (out: Tensor) => loss.activate(out).reshape([-1]);
const positives = (y: Tensor) => y.ne(0).to('float64').reshape([-1]);

function checkSameShape(name: string) {
  return (targets: Tensor, outputShape: number[]) => {
    if (targets.shape.slice(1).join() !== outputShape.join()) {
      throw new RangeError(`${name}: needs targets shaped as the model's output [None, ${outputShape}], got [${targets.shape}]`);
    }
  };
}

// Keras's MeanAbsoluteError and MeanSquaredError metrics: each example's mean over its last axis,
// averaged over the examples, on the output after its last activation.
function meanError(name: string, squared: boolean, loss: CompiledLoss): CompiledMetric {
  return count(
    name,
    (out, y) => {
      const error = loss.activate(out).sub(y.to('float32')).abs();
      return (squared ? error.mul(error) : error).mean(-1).sum();
    },
    checkSameShape(name),
  );
}

// Counts of true positives and, for precision, false positives (recall: false negatives), each
// output element a binary prediction `p > threshold` against the target `y != 0`, as Keras's.
function precisionRecall(name: string, kind: 'precision' | 'recall', threshold: number, loss: CompiledLoss): CompiledMetric {
  const activate = probabilities(loss);
  return {
    name,
    shape: [2],
    update: (out, y) => {
      const predicted = activate(out).gt(threshold).to('float64');
      const actual = positives(y);
      const truePositives = predicted.mul(actual).sum();
      const other = kind === 'precision' ? predicted.sum().sub(truePositives) : actual.sum().sub(truePositives);
      return stack([truePositives, other]);
    },
    result: ([tp, other]) => (tp + other === 0 ? 0 : tp / (tp + other)),
    checkTargets: checkSameShape(name),
  };
}

// Keras's AUC (ROC curve, interpolated): true/false positive and negative counts at
// numThresholds thresholds, evenly in (0, 1) with -1e-7 and 1 + 1e-7 at the ends.
function auc(name: string, numThresholds: number, loss: CompiledLoss): CompiledMetric {
  const activate = probabilities(loss);
  // i / (T - 1), with the ends moved just outside [0, 1].
  const thresholds = (device: Tensor['device']) => {
    const t = arange(0, numThresholds, 1, { dtype: 'float64', device }).div(numThresholds - 1);
    return t.where(t.gt(0), -1e-7).where(t.lt(1), 1 + 1e-7);
  };
  return {
    name,
    shape: [4, numThresholds],
    update: (out, y) => {
      const p = activate(out).to('float64');
      const above = p.unsqueeze(0).gt(thresholds(p.device).unsqueeze(1)).to('float64'); // [T, N]
      const actual = positives(y).unsqueeze(0);
      const tp = above.mul(actual).sum(1);
      const fp = above.sum(1).sub(tp);
      const fn = actual.sum().sub(tp);
      const tn = above.neg().add(1).sum(1).sub(fn); // below the threshold, less the positives there
      return stack([tp, fp, tn, fn]);
    },
    result: (sums) => {
      const at = (row: number, t: number) => sums[row * numThresholds + t];
      const ratio = (a: number, b: number) => (a + b === 0 ? 0 : a / (a + b));
      let area = 0;
      for (let t = 0; t + 1 < numThresholds; t++) {
        const [x0, x1] = [ratio(at(1, t), at(2, t)), ratio(at(1, t + 1), at(2, t + 1))];
        const [y0, y1] = [ratio(at(0, t), at(3, t)), ratio(at(0, t + 1), at(3, t + 1))];
        area += (x0 - x1) * ((y0 + y1) / 2);
      }
      return area;
    },
    checkTargets: checkSameShape(name),
  };
}

function integer(metric: string, option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new RangeError(`compile: metric '${metric}': ${option} must be an integer >= ${min}, got ${describeValue(value)}`);
  return value;
}

function fraction(metric: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw new RangeError(`compile: metric '${metric}': ${option} must be in [0, 1], got ${describeValue(value)}`);
  return value;
}
