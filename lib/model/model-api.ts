// What the code below the model needs of it. The training loops, the steps and the callbacks
// depend on these interfaces, not on Sequential, which implements them: lib/model/ has one
// direction (sequential.ts uses the loops; the loops never reach back into it).
import type { CallContext, Shape } from '../nn/layer.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Device, Tensor } from '../tensor.js';
import type { Compiled } from './compiled.js';
import type { StepTraces } from './traced-step.js';

/** What fit, evaluate, predict and the steps use. */
export interface TrainingModel {
  readonly name: string;
  readonly device: Device;
  /** The per-example output shape (the model must be built). */
  readonly outputShape: Shape;
  /** True once compile() has run. */
  readonly compiled: boolean;
  /** Set by a callback to end fit after the current batch. */
  stopTraining: boolean;
  /** The recorded steps that run off the JS thread. */
  readonly traces: StepTraces;
  /** Every weight tensor, in layer order. */
  readonly weightTensors: Tensor[];
  /** What compile() resolved; throws a clear error for `what` before compile(). */
  requireCompiled(what: string): Compiled;
  /** The forward pass on a batch in the internal layout; `preActivation` stops the last layer before its activation. */
  forward(input: Tensor, ctx: CallContext, preActivation?: boolean): Tensor;
  /** Checks a per-example input shape against the model's, building the model if needed. */
  acceptInputShape(shape: Shape, what: string): void;
}

/** What a callback gets as `this.model`. */
export interface CallbackModel {
  readonly name: string;
  /** Set to true to end fit after the current batch (EarlyStopping does). */
  stopTraining: boolean;
  readonly optimizer: Optimizer | undefined;
  /** Copies of every weight, in order (yours to dispose). */
  getWeights(): Tensor[];
  /** Sets every weight, in the order of getWeights, copying in place. */
  setWeights(weights: Tensor[]): void;
  /** Saves the model (model.json and its weights) into a folder. */
  save(dir: string): Promise<void>;
  /** Saves the weights alone to a safetensors file. */
  saveWeights(path: string): Promise<void>;
}
