import type { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';

/** Options of {@link Adam} and {@link AdamW}, with Keras's names and defaults. */
export interface AdamOptions {
  /** Default 1e-3. */
  learningRate?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7 (Keras's; PyTorch's is 1e-8). Added to sqrt(v̂), as PyTorch does. */
  epsilon?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 1e-2). */
  weightDecay?: number;
  /** Use the maximum of past second moments (default false). */
  amsgrad?: boolean;
}

// Keras's defaults; AdamW's weight decay is PyTorch's.
const ADAM_DEFAULTS = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, amsgrad: false };

/**
 * Adam, computed as torch.optim.Adam (foreach) on the CPU and with the fused Adam kernel on CUDA,
 * with Keras's defaults. `new Adam(params, options)`, or `new Adam(options)` for `model.compile()`.
 */
export class Adam extends Optimizer {
  constructor(params?: Tensor[] | AdamOptions, options?: AdamOptions) {
    super('adam', params, options, ADAM_DEFAULTS);
  }
  get name(): string {
    return 'Adam';
  }
}

/** AdamW: Adam with weight decay decoupled from the gradient (default weightDecay 1e-2), as torch.optim.AdamW. */
export class AdamW extends Optimizer {
  constructor(params?: Tensor[] | AdamOptions, options?: AdamOptions) {
    super('adamw', params, options, { ...ADAM_DEFAULTS, weightDecay: 1e-2 });
  }
  get name(): string {
    return 'AdamW';
  }
}
