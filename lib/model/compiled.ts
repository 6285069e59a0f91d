// compile()'s arguments, and what it resolves them to: the settings every training loop reads.
import { describeValue, optionalBoolean, readOptions } from '../arguments.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor.js';
import { resolveOptimizer, type OptimizerName } from '../optim/registry.js';
import { compileLoss, type CompiledLoss, type LossSpec } from './losses.js';
import { compileMetrics, type CompiledMetric, type MetricSpec } from './metrics.js';

/** Arguments of {@link Sequential.compile}. */
export interface CompileArgs {
  /** An optimizer name (Keras defaults) or an Optimizer instance. */
  optimizer: OptimizerName | Optimizer;
  /** A loss name in camelCase or snake_case, or `{ name, fromLogits }`. */
  loss: LossSpec;
  /** Names or `{ name, ...options }` (default none): see {@link MetricSpec}. */
  metrics?: MetricSpec[];
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

/** What compile() resolved. */
export interface Compiled {
  optimizer: Optimizer;
  loss: CompiledLoss;
  /** The metrics, logged by the names given. */
  metrics: CompiledMetric[];
  cudaGraph: boolean;
  mixedPrecision: 'bf16' | null;
  cudnnBenchmark: boolean;
  runEagerly: boolean;
  args: { loss: LossSpec; metrics: MetricSpec[] };
  /** Checks all targets once against the model's per-example output shape, for the loss and every metric. */
  checkTargets(targets: Tensor, outputShape: number[]): void;
}

const COMPILE_KEYS: (keyof CompileArgs)[] = ['optimizer', 'loss', 'metrics', 'cudaGraph', 'mixedPrecision', 'cudnnBenchmark', 'runEagerly'];

/** compile()'s arguments, checked and resolved for a model whose last layer's activation is `lastActivation`. */
export function resolveCompile(options: unknown, lastActivation: string): Compiled {
  if (options === undefined) throw new TypeError('compile: expected { optimizer, loss, metrics }');
  const input = readOptions<CompileArgs>('compile', options, COMPILE_KEYS) as { [K in keyof CompileArgs]?: unknown };
  const optimizer = resolveOptimizer(input.optimizer);
  const loss = compileLoss(input.loss, lastActivation);
  const given = input.metrics ?? [];
  const metrics = compileMetrics(given, loss);
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
    loss,
    metrics,
    cudaGraph,
    mixedPrecision: precision,
    cudnnBenchmark: optionalBoolean('compile', 'cudnnBenchmark', input.cudnnBenchmark, true),
    runEagerly: optionalBoolean('compile', 'runEagerly', input.runEagerly, false),
    args: { loss: input.loss as LossSpec, metrics: [...(given as MetricSpec[])] },
    checkTargets: (targets, outputShape) => {
      loss.checkTargets(targets, outputShape);
      for (const m of metrics) m.checkTargets(targets, outputShape);
    },
  };
}
