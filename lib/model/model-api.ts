// What the code below the model needs of it. The training loops, the steps and the callbacks
// depend on these interfaces, not on the model classes, which implement them: lib/model/ has one
// direction (the models use the loops; the loops never reach back into them).
import type { CallContext, Shape } from '../nn/layer.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Device, Tensor } from '../tensor.js';
import type { Compiled } from './compiled.js';
import type { StepTraces } from './traced-step.js';

/** What fit, evaluate, predict and the steps use. */
export interface TrainingModel {
  readonly name: string;
  readonly device: Device;
  /** Each input's per-example shape, once known (several for a functional model of several inputs). */
  readonly inputShapes: Shape[] | undefined;
  /** Each output's per-example shape (the model must be built). */
  readonly outputShapes: Shape[];
  /** True when the model takes its inputs as an array (a functional model given an array of inputs). */
  readonly takesInputList: boolean;
  /** True when the model gives its outputs as an array (a functional model given an array of outputs). */
  readonly givesOutputList: boolean;
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
  /**
   * The forward pass on a batch of each input in the internal layout; its outputs in order. An
   * output whose `preActivation` entry is true stops before its layer's activation.
   */
  forwardAll(inputs: Tensor[], ctx: CallContext, preActivation?: boolean[]): Tensor[];
  /** Checks the per-example shapes of the inputs against the model's, building the model if needed. */
  acceptInputShapes(shapes: Shape[], what: string): void;
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
