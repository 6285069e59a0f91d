import type { Tensor } from '../tensor.js';
import type { LearningRateSchedule } from './schedules.js';
import { Optimizer, type OptimizerFormula } from './optimizer.js';

/** Options of {@link SGD}. */
export interface SGDOptions {
  /** Default 0.01 (Keras's). */
  learningRate?: number | LearningRateSchedule;
  /** Default 0; in [0, 1] for Keras's formula. */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** Keras: decoupled weight decay; 'pytorch': an L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** torch.optim.SGD's dampening, only with formula 'pytorch' (default 0). */
  dampening?: number;
  /**
   * 'keras' (default): Keras's velocity form, `m = momentum·m − lr·g; w += m` (Nesterov:
   * `w += momentum·m − lr·g`). 'pytorch': torch.optim.SGD's, `b = momentum·b + g; w −= lr·b`.
   * They agree while the learning rate is constant; when it changes, Keras's velocity keeps the
   * steps taken at the old rate, PyTorch's scales them all by the new one.
   */
  formula?: OptimizerFormula;
}

/** Stochastic gradient descent with optional (Nesterov) momentum, as keras.optimizers.SGD, or torch.optim.SGD with `formula: 'pytorch'`. */
export class SGD extends Optimizer {
  constructor(params?: Tensor[] | SGDOptions, options?: SGDOptions) {
    const defaults = { learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: 0, dampening: 0 };
    super({ name: 'SGD', defaults, kinds: { keras: 'sgd', pytorch: 'torch-sgd' } }, params, options);
  }
}
