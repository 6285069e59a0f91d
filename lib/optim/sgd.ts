import type { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';

/** Options of {@link SGD}. */
export interface SGDOptions {
  /** Default 0.01 (Keras's). */
  learningRate?: number;
  /** Default 0. */
  momentum?: number;
  /** Default 0. */
  dampening?: number;
  /** Nesterov momentum, PyTorch's formulation (default false; needs momentum > 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/** Stochastic gradient descent with optional (Nesterov) momentum, as torch.optim.SGD (foreach). */
export class SGD extends Optimizer {
  constructor(params?: Tensor[] | SGDOptions, options?: SGDOptions) {
    super('sgd', params, options, { learningRate: 0.01, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
  }
  get name(): string {
    return 'SGD';
  }
}
