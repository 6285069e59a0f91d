import type { Tensor } from '../tensor.js';
import type { LearningRateSchedule } from './schedules.js';
import { Optimizer } from './optimizer.js';

/** Options of {@link Lion}. */
export interface LionOptions {
  /** Default 1e-3 (Lion's steps are ±lr: a third to a tenth of Adam's rate suits it). */
  learningRate?: number | LearningRateSchedule;
  /** The interpolation of the update's sign (default 0.9; may be 1). */
  beta1?: number;
  /** The momentum's decay (default 0.99). */
  beta2?: number;
  /** Decoupled weight decay, as Keras's (default 0). */
  weightDecay?: number;
}

/** Lion, as keras.optimizers.Lion: `w -= lr·sign(β1·m + (1−β1)·g); m = β2·m + (1−β2)·g`. */
export class Lion extends Optimizer {
  constructor(params?: Tensor[] | LionOptions, options?: LionOptions) {
    const defaults = { learningRate: 1e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0 };
    super({ name: 'Lion', defaults, kinds: { keras: 'lion' } }, params, options);
  }
}
