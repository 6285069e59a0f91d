// The Adam family: Adam, AdamW, Adamax and Nadam, with Keras's formulas and defaults.
import type { Tensor } from '../tensor.js';
import type { LearningRateSchedule } from './schedules.js';
import { Optimizer, type OptimizerFormula } from './optimizer.js';

/** Options of {@link Adam} and {@link AdamW}, with Keras's names and defaults. */
export interface AdamOptions {
  /** Default 1e-3. */
  learningRate?: number | LearningRateSchedule;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7 (Keras's; PyTorch's is 1e-8). Keras adds it to sqrt(v), PyTorch to sqrt(v̂). */
  epsilon?: number;
  /**
   * Weight decay: Keras's (and torch.optim.AdamW's) decoupled `w -= lr * weightDecay * w` before
   * each update. Default 0 for Adam, 0.004 for AdamW (Keras's; PyTorch's is 0.01). With formula
   * 'pytorch', Adam adds it to the gradient as an L2 penalty, as torch.optim.Adam does.
   */
  weightDecay?: number;
  /** Use the maximum of past second moments (default false). */
  amsgrad?: boolean;
  /**
   * 'keras' (default): Keras 3's update, `w -= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m/(√v + ε)` with one step
   * count for the whole optimizer. 'pytorch': torch.optim's, `w -= lr/(1−β1ᵗ) · m/(√v̂ + ε)` with
   * a step count per parameter. They differ by ε/√(1−β2ᵗ) in the denominator, which matters in
   * the first thousands of steps.
   */
  formula?: OptimizerFormula;
}

/** Options of {@link Adamax} and {@link Nadam}. */
export interface AdamaxOptions {
  /** Default 1e-3. */
  learningRate?: number | LearningRateSchedule;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7. */
  epsilon?: number;
  /** Decoupled weight decay, as Keras's (default 0). */
  weightDecay?: number;
}

const ADAMAX_DEFAULTS = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 };
const ADAM_DEFAULTS = { ...ADAMAX_DEFAULTS, amsgrad: false };

/**
 * Adam, as keras.optimizers.Adam (the default), or as torch.optim.Adam with `formula: 'pytorch'`.
 * Runs libtorch's fused Adam kernel where it has one (PyTorch 2.4 on, and CUDA). Make it as
 * `new Adam(params, options)`, or `new Adam(options)` for `model.compile()`.
 */
export class Adam extends Optimizer {
  constructor(params?: Tensor[] | AdamOptions, options?: AdamOptions) {
    super({ name: 'Adam', defaults: ADAM_DEFAULTS, kinds: { keras: 'adam', pytorch: 'torch-adam' } }, params, options);
  }
}

/**
 * AdamW: Adam with decoupled weight decay (default 0.004), as keras.optimizers.AdamW, or as
 * torch.optim.AdamW with `formula: 'pytorch'`.
 */
export class AdamW extends Optimizer {
  constructor(params?: Tensor[] | AdamOptions, options?: AdamOptions) {
    const defaults = { ...ADAM_DEFAULTS, weightDecay: 0.004 };
    super({ name: 'AdamW', defaults, kinds: { keras: 'adam', pytorch: 'torch-adamw' } }, params, options);
  }
}

/** Adamax (Adam with the infinity norm), as keras.optimizers.Adamax. Not with `compile({ cudaGraph: true })`. */
export class Adamax extends Optimizer {
  constructor(params?: Tensor[] | AdamaxOptions, options?: AdamaxOptions) {
    super({ name: 'Adamax', defaults: ADAMAX_DEFAULTS, kinds: { keras: 'adamax' }, hostStepFactors: true }, params, options);
  }
}

/**
 * Nadam (Adam with Nesterov momentum and Keras's momentum schedule), as keras.optimizers.Nadam.
 * Not with `compile({ cudaGraph: true })`: its schedule's factors are computed on the host each step.
 */
export class Nadam extends Optimizer {
  constructor(params?: Tensor[] | AdamaxOptions, options?: AdamaxOptions) {
    super({ name: 'Nadam', defaults: ADAMAX_DEFAULTS, kinds: { keras: 'nadam' }, hostStepFactors: true }, params, options);
  }
}
