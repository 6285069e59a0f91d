// compile()'s arguments, and what it resolves them to: the settings every training loop reads.
// A model of several outputs gets one loss (and its metrics) per output, as Keras: a loss for all,
// or a list or an object by output name; the loss trained on is their weighted sum.
import { describeValue, optionalBoolean, readOptions } from '../arguments.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor.js';
import { resolveOptimizer, type OptimizerName } from '../optim/registry.js';
import { compileLoss, type CompiledLoss, type LossSpec } from './losses.js';
import { compileMetrics, type CompiledMetric, type MetricSpec } from './metrics.js';

/** Arguments of {@link Model.compile}. */
export interface CompileArgs {
  /** An optimizer name (Keras defaults) or an Optimizer instance. */
  optimizer: OptimizerName | Optimizer;
  /**
   * A loss name in camelCase or snake_case, or `{ name, fromLogits }`. A model of several outputs
   * takes one for all of them, an array (one per output), or an object by output layer name.
   */
  loss: LossSpec | LossSpec[] | Record<string, LossSpec>;
  /** With several outputs: each loss's weight in the sum trained on (default 1 each); an array, or an object by output name. */
  lossWeights?: number[] | Record<string, number>;
  /**
   * Names or `{ name, ...options }` (default none): see {@link MetricSpec}. A model of several
   * outputs takes an array of arrays (one per output), or an object of arrays by output name.
   */
  metrics?: MetricSpec[] | MetricSpec[][] | Record<string, MetricSpec[]>;
  /**
   * On CUDA, capture the whole training step (forward, loss, backward, optimizer) in a CUDA graph
   * and replay it for each batch (default false). Ignored on the CPU.
   */
  cudaGraph?: boolean;
  /** 'bf16': run the forward pass under autocast in bfloat16, with float32 weights (default none: float32). */
  mixedPrecision?: 'bf16' | null;
  /** On CUDA, let cuDNN try its convolution algorithms once per shape and keep the fastest (default true). */
  cudnnBenchmark?: boolean;
  /**
   * Run every step eagerly on the JS thread, op by op (default false: steps are traced once and
   * replayed off the JS thread). For debugging, or a custom layer whose ops depend on tensor values.
   */
  runEagerly?: boolean;
}

/** A model output, as compile() sees it. */
export interface OutputHead {
  /** The output layer's name. */
  name: string;
  /** Its activation ('linear' if it has none). */
  activation: string;
}

/** One output's loss, its weight and its metrics. */
export interface CompiledOutput {
  /** The prefix of its logs: '' when the model has one output, else `${output layer name}_`. */
  prefix: string;
  loss: CompiledLoss;
  weight: number;
  metrics: CompiledMetric[];
}

/** What compile() resolved. */
export interface Compiled {
  optimizer: Optimizer;
  /** One per model output, in order. */
  outputs: CompiledOutput[];
  cudaGraph: boolean;
  mixedPrecision: 'bf16' | null;
  cudnnBenchmark: boolean;
  runEagerly: boolean;
  args: { loss: CompileArgs['loss']; lossWeights?: CompileArgs['lossWeights']; metrics: NonNullable<CompileArgs['metrics']> };
  /** Which outputs the model must hand over before their last activation (the loss fuses it). */
  readonly preActivation: boolean[];
  /** The batch's loss trained on (the weighted sum over outputs) and each output's. */
  computeLoss(outputs: Tensor[], targets: Tensor[]): { loss: Tensor; parts: Tensor[] };
  /** Checks all targets once against the model's per-example output shapes, for the losses and every metric. */
  checkTargets(targets: Tensor[], outputShapes: number[][]): void;
}

const COMPILE_KEYS: (keyof CompileArgs)[] = [
  'optimizer',
  'loss',
  'lossWeights',
  'metrics',
  'cudaGraph',
  'mixedPrecision',
  'cudnnBenchmark',
  'runEagerly',
];

/** compile()'s arguments, checked and resolved for a model with `heads` as its outputs. */
export function resolveCompile(options: unknown, heads: OutputHead[]): Compiled {
  if (options === undefined) throw new TypeError('compile: expected { optimizer, loss, metrics }');
  const input = readOptions<CompileArgs>('compile', options, COMPILE_KEYS) as { [K in keyof CompileArgs]?: unknown };
  const optimizer = resolveOptimizer(input.optimizer);
  const several = heads.length > 1;
  const losses = perOutput('loss', input.loss, heads, isLossSpec, undefined);
  const weights = perOutput('lossWeights', input.lossWeights, heads, (v) => typeof v === 'number', 1);
  const metricSpecs = perOutput('metrics', input.metrics, heads, (v) => !several && Array.isArray(v), []);
  const outputs = heads.map((head, k): CompiledOutput => {
    const loss = compileLoss(losses[k], head.activation);
    const weight: unknown = weights[k];
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0)
      throw new RangeError(
        `compile: lossWeights${several ? ` for '${head.name}'` : ''} must be a number >= 0, got ${describeValue(weight)}`,
      );
    return { prefix: several ? `${head.name}_` : '', loss, weight, metrics: compileMetrics(metricSpecs[k], loss) };
  });
  const precision = input.mixedPrecision ?? null;
  if (precision !== null && precision !== 'bf16')
    throw new RangeError(`compile: mixedPrecision must be 'bf16' or null, got ${describeValue(precision)}`);
  const cudaGraph = optionalBoolean('compile', 'cudaGraph', input.cudaGraph, false);
  if (cudaGraph && optimizer.capturable === false) {
    throw new RangeError(
      `compile: cudaGraph cannot replay ${optimizer.name}'s update: it scales each step by factors of the step count computed on the host, ` +
        'which a graph would freeze at their first values (use another optimizer, or cudaGraph: false)',
    );
  }
  return {
    optimizer,
    outputs,
    cudaGraph,
    mixedPrecision: precision,
    cudnnBenchmark: optionalBoolean('compile', 'cudnnBenchmark', input.cudnnBenchmark, true),
    runEagerly: optionalBoolean('compile', 'runEagerly', input.runEagerly, false),
    args: {
      loss: copyJson(input.loss) as CompileArgs['loss'],
      ...(input.lossWeights === undefined ? {} : { lossWeights: copyJson(input.lossWeights) as CompileArgs['lossWeights'] }),
      metrics: (copyJson(input.metrics) ?? []) as NonNullable<CompileArgs['metrics']>,
    },
    preActivation: outputs.map((o) => o.loss.usesPreActivation),
    computeLoss: (predicted, targets) => {
      const parts = outputs.map((o, k) => o.loss.compute(predicted[k], targets[k]));
      if (parts.length === 1) return { loss: parts[0], parts };
      const loss = parts.map((part, k) => (outputs[k].weight === 1 ? part : part.mul(outputs[k].weight))).reduce((a, b) => a.add(b));
      return { loss, parts };
    },
    checkTargets: (targets, outputShapes) => {
      if (targets.length !== outputs.length)
        throw new RangeError(
          `the model has ${outputs.length} outputs, but the targets (y) are ${targets.length} tensor${targets.length === 1 ? '' : 's'}`,
        );
      outputs.forEach((o, k) => {
        o.loss.checkTargets(targets[k], outputShapes[k]);
        for (const m of o.metrics) m.checkTargets(targets[k], outputShapes[k]);
      });
    },
  };
}

// A compile argument per output: `isOne(value)` says a value is one output's (then every output
// takes it), else an array of one per output, or an object by output name; `fallback` for an
// output not given one (undefined: required).
function perOutput(what: string, value: unknown, heads: OutputHead[], isOne: (v: unknown) => boolean, fallback: unknown): unknown[] {
  if (value === undefined) {
    if (fallback === undefined) throw new TypeError(`compile: ${what} is required`);
    return heads.map(() => fallback);
  }
  if (isOne(value)) return heads.map(() => value);
  const names = heads.map((h) => h.name);
  if (Array.isArray(value)) {
    const list = [...(value as unknown[])];
    // Keras too refuses one flat list of metrics for several outputs: which output would each be for?
    if (list.length !== heads.length || (what === 'metrics' && !list.every(Array.isArray)))
      throw new RangeError(
        `compile: ${what} must give one entry per output (${heads.length}: ${names.join(', ')}), got ${describeValue(value)}${what === 'metrics' ? ': for several outputs, an array of arrays, or an object of arrays by output name' : ''}`,
      );
    return list;
  }
  if (typeof value === 'object' && value !== null && heads.length > 1) {
    const entries = readOptions<Record<string, unknown>>('compile', value, names, what);
    return names.map((name) => {
      const entry = Object.hasOwn(entries, name) ? entries[name] : undefined;
      if (entry === undefined && fallback === undefined) throw new TypeError(`compile: ${what} has no entry for the output '${name}'`);
      return entry ?? fallback;
    });
  }
  throw new TypeError(
    `compile: ${what} must be ${heads.length > 1 ? 'one for all outputs, an array or an object by output name' : 'valid'}, got ${describeValue(value)}`,
  );
}

// One loss (a name, or { name, fromLogits?, delta? }), as opposed to several by output.
function isLossSpec(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Its other keys are compileLoss's to check (a misspelt option is named there).
  return typeof (value as { name?: unknown }).name === 'string';
}

// A compile argument as saved: JSON's copy (so that later changes to the caller's object change nothing).
function copyJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
