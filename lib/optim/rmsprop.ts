// Per-coordinate learning rates from the gradients' squares: RMSprop and Adagrad, as Keras's.
import type { Tensor } from '../tensor.js';
import type { LearningRateSchedule } from './schedules.js';
import { Optimizer } from './optimizer.js';

/** Options of {@link RMSprop}, with Keras's names and defaults. */
export interface RMSpropOptions {
  /** Default 1e-3. */
  learningRate?: number | LearningRateSchedule;
  /** The decay of the moving average of squared gradients (default 0.9). */
  rho?: number;
  /** Default 0. */
  momentum?: number;
  /** Default 1e-7, added under the square root (Keras's; PyTorch adds it after). */
  epsilon?: number;
  /** Normalize by the gradients' estimated variance instead of their second moment (default false). */
  centered?: boolean;
  /** Decoupled weight decay, as Keras's (default 0). */
  weightDecay?: number;
}

/** Options of {@link Adagrad}. */
export interface AdagradOptions {
  /** Default 1e-3. */
  learningRate?: number | LearningRateSchedule;
  /** The accumulators' starting value (default 0.1). */
  initialAccumulatorValue?: number;
  /** Default 1e-7, added under the square root. */
  epsilon?: number;
  /** Decoupled weight decay, as Keras's (default 0). */
  weightDecay?: number;
}

/** RMSprop, as keras.optimizers.RMSprop: `w -= lr·g / √(v + ε)`, v the moving average of g². */
export class RMSprop extends Optimizer {
  constructor(params?: Tensor[] | RMSpropOptions, options?: RMSpropOptions) {
    const defaults = { learningRate: 1e-3, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false, weightDecay: 0 };
    super({ name: 'RMSprop', defaults, kinds: { keras: 'rmsprop' } }, params, options);
  }
}

/** Adagrad, as keras.optimizers.Adagrad: `w -= lr·g / √(Σg² + ε)`. */
export class Adagrad extends Optimizer {
  constructor(params?: Tensor[] | AdagradOptions, options?: AdagradOptions) {
    const defaults = { learningRate: 1e-3, initialAccumulatorValue: 0.1, epsilon: 1e-7, weightDecay: 0 };
    super({ name: 'Adagrad', defaults, kinds: { keras: 'adagrad' } }, params, options);
  }
}
