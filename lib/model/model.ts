// What every model shares, whatever its structure (Sequential's stack, Functional's graph): the
// device, the weights, compile state, the training loops, the files and disposal. A subclass gives
// its layers, shapes, forward pass and architecture; this file uses the loops (training.ts),
// compile's settings (compiled.ts) and the files (model-file.ts), which see it only through
// model-api.ts.
import { defaultDevice, normalizeDevice } from '../device.js';
import type { Dataset } from '../data/dataset.js';
import { Activation } from '../nn/activation.js';
import type { Layer, CallContext, Shape } from '../nn/layer.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Device, Tensor } from '../tensor.js';
import type { History } from './callbacks.js';
import { resolveCompile, type CompileArgs, type Compiled, type OutputHead } from './compiled.js';
import type { Logs } from './logs.js';
import type { CallbackModel, TrainingModel } from './model-api.js';
import { loadWeightsFile, saveModelFolder, saveWeightsFile, type ModelSnapshot, type SavedModel } from './model-file.js';
import { formatSummary, type SummaryRow } from './summary.js';
import {
  evaluate,
  fit,
  predict,
  predictOnBatch,
  trainOnBatch,
  type EvaluateOptions,
  type FitOptions,
  type PredictOptions,
} from './training.js';
import { checkShape } from '../nn/layer.js';
import { describeValue, expectFunction } from '../arguments.js';
import { expectTensor } from '../tensor.js';
import { exclusive, requireIdle } from './exclusive.js';
import { StepTraces } from './traced-step.js';
import { snakeCase } from './snake-case.js';
import { isKerasFile } from './keras-file.js';
import { saveKerasFile } from './keras-save.js';

/** Names `layer` if it has no name (snake_case class name, numbered past `taken`); throws if its name is taken. */
export function nameLayer(owner: string, layer: Layer, taken: Set<string | undefined>): void {
  if (layer.name === undefined) {
    const base = snakeCase(layer.className);
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    layer.name = name;
  } else if (taken.has(layer.name)) {
    throw new RangeError(`${owner}: the model already has a layer named '${layer.name}'`);
  }
  taken.add(layer.name);
}

/** An output layer's activation name ('linear' if it has none). */
export function activationOf(layer: Layer | undefined): string {
  const activation = (layer as { activation?: unknown } | undefined)?.activation;
  return typeof activation === 'string' ? activation : 'linear';
}

/** The output layer's forward pass stopped before its activation (for the fused softmax + cross-entropy). */
export function callBeforeActivation(layer: Layer, x: Tensor): Tensor {
  return layer instanceof Activation ? x : (layer as unknown as { preActivation(x: Tensor): Tensor }).preActivation(x);
}

/** The architecture part of a save: what a subclass writes besides the name and compile settings. */
export type Architecture = Omit<ModelSnapshot['architecture'], 'name' | 'compile'>;

/**
 * A Keras model: inputs are Keras-shaped ([N, height, width, channels] images), which the model
 * permutes once to NCHW with channels-last strides, at no copy. It trains on CUDA when available,
 * else on the CPU; {@link Model.to} moves it.
 */
export abstract class Model<Output extends Tensor | Tensor[] = Tensor> implements TrainingModel, CallbackModel {
  readonly name: string;
  /**
   * Set by a callback (EarlyStopping) to end fit after the current batch; set from elsewhere, after
   * the current job of steps (up to 16 when no callback has batch hooks).
   */
  stopTraining = false;
  #device: Device = normalizeDevice(defaultDevice());
  #compiled: Compiled | null = null;
  #disposed = false;
  /** @internal The recorded steps that run off the JS thread. */
  readonly traces = new StepTraces();

  protected constructor(name: string) {
    this.name = name;
  }

  /** The layers, in order (each once, however often a graph calls it). */
  abstract get layers(): readonly Layer[];
  /** The per-example input shape, once known (of the first input, for a model of several). */
  abstract get inputShape(): Shape | undefined;
  /** @internal Each input's per-example shape, once known. */
  abstract get inputShapes(): Shape[] | undefined;
  /** @internal Each output's per-example shape (the model must be built). */
  abstract get outputShapes(): Shape[];
  /** @internal True when the model takes its inputs as an array. */
  abstract get takesInputList(): boolean;
  /** @internal True when the model gives its outputs as an array. */
  abstract get givesOutputList(): boolean;
  /** True once every layer has its weights. */
  abstract get built(): boolean;
  /** Builds every layer for `inputShape` (default: the one the model was defined with). */
  abstract build(shape?: Shape): void;
  /**
   * @internal The forward pass on a batch of each input in the internal layout; its outputs in
   * order. An output whose `preActivation` entry is true stops before its layer's activation (for
   * the fused softmax + cross-entropy).
   */
  abstract forwardAll(inputs: Tensor[], ctx: CallContext, preActivation?: boolean[]): Tensor[];
  /** @internal Each output's layer name and activation, in order. */
  abstract outputHeads(): OutputHead[];
  /** The rows of {@link Model.summary}, the model being built. */
  protected abstract summaryRows(): SummaryRow[];
  /** What a save writes of the structure. */
  protected abstract architecture(): Architecture;
  /** @internal A graph's calls' output shapes, by `${layer}/${call}` (none for a stack). */
  callShapes(): Map<string, Shape> | undefined {
    return undefined;
  }
  /** Forgets the built shapes (the weights are being freed). */
  protected abstract forgetShapes(): void;

  /** @internal Throws for `what` once the model is disposed: its weights are gone, and rebuilding them silently would lose them. */
  requireLive(what: string): void {
    if (this.#disposed) throw new Error(`${what}: the model '${this.name}' was disposed; build a new one`);
  }

  /** Before anything that reads or changes the weights or the structure: refused while another call runs (exclusive.ts). */
  protected requireIdle(what: string): void {
    requireIdle(this, this.name, what);
  }

  /** Builds the model if it is not yet (with the shape it was defined with). */
  protected ensureBuilt(): void {
    this.requireLive(this.name);
    if (!this.built) this.build();
  }

  /** The device the model's weights live on. */
  get device(): Device {
    return this.#device;
  }

  /** Moves the weights (and the optimizer's state) to `device`. */
  to(device: Device): this {
    this.requireLive(`${this.name}.to`);
    const target = normalizeDevice(device, `${this.name}.to`);
    if (target === this.#device) return this;
    this.requireIdle(`${this.name}.to`);
    this.traces.clear();
    const state = this.#compiled?.optimizer.isAttached ? this.#compiled.optimizer.getState() : null;
    this.#device = target;
    for (const layer of this.layers) layer.moveTo(target);
    this.rebindOptimizer(state);
    if (state)
      Object.values(state.buffers)
        .flat()
        .forEach((t) => t?.dispose());
    return this;
  }

  /** All weights, named `layer/weight`, in layer order. */
  namedWeights(): [string, Tensor][] {
    this.ensureBuilt();
    return this.layers.flatMap((layer) => layer.weights.map((w) => [`${layer.name}/${w.name}`, w.tensor] as [string, Tensor]));
  }

  /** @internal Every weight tensor, in layer order: the inputs of a traced step besides the batch. */
  get weightTensors(): Tensor[] {
    return this.namedWeights().map(([, t]) => t);
  }

  /** The weights the optimizer updates. */
  get trainableWeights(): Tensor[] {
    this.ensureBuilt();
    return this.layers.flatMap((layer) => layer.trainableWeights);
  }

  /** The number of weight elements. */
  countParams(): number {
    this.ensureBuilt();
    return this.layers.reduce((n, layer) => n + layer.countParams(), 0);
  }

  /** Copies of every weight, in order (yours to dispose). */
  getWeights(): Tensor[] {
    this.requireIdle('getWeights');
    return this.namedWeights().map(([, t]) => t.detach().clone());
  }

  /** Sets every weight, in the order of {@link Model.getWeights}, copying in place. */
  setWeights(weights: Tensor[]): void {
    this.requireIdle('setWeights');
    const named = this.namedWeights();
    const given: unknown[] = Array.isArray(weights) ? [...(weights as unknown[])] : [];
    if (!Array.isArray(weights) || given.length !== named.length)
      throw new RangeError(
        `setWeights: the model has ${named.length} weights, got ${Array.isArray(weights) ? given.length : describeValue(weights)}`,
      );
    // Every tensor is checked before any is copied, so that a bad list changes nothing.
    const values = given.map((w, k) => expectTensor('setWeights', `weights[${k}]`, w));
    named.forEach(([name, t], k) => {
      if (values[k].shape.join() !== t.shape.join() || values[k].dtype !== t.dtype)
        throw new RangeError(`setWeights: '${name}' is ${t.dtype} [${t.shape}], got ${values[k].dtype} [${values[k].shape}]`);
    });
    named.forEach(([, t], k) => t.assign(values[k]));
  }

  /** Prints (or hands to `print`) Keras's summary table. */
  summary(print: (line: string) => void = console.log): void {
    expectFunction('summary', 'print', print);
    this.ensureBuilt();
    print(formatSummary(this.name, this.summaryRows()));
  }

  /** Sets the optimizer, loss and metrics for training. */
  compile(options: CompileArgs): void {
    this.requireLive('compile');
    this.requireIdle('compile');
    this.#compiled = resolveCompile(options, this.outputHeads());
    this.traces.clear();
    if (this.built) this.rebindOptimizer();
    else if (this.inputShape) this.build();
  }

  /** @internal What compile() resolved; throws a clear error for `what` before compile(). */
  requireCompiled(what: string): Compiled {
    this.requireLive(what);
    if (!this.#compiled) throw new Error(`${what}: compile() the model first (with an optimizer and a loss)`);
    return this.#compiled;
  }

  /** True once compile() has run. */
  get compiled(): boolean {
    return this.#compiled !== null;
  }

  /** The optimizer set by compile(). */
  get optimizer(): Optimizer | undefined {
    return this.#compiled?.optimizer;
  }

  /** @internal Checks the per-example shapes of the inputs against the model's, building the model if needed. */
  acceptInputShapes(shapes: Shape[], what: string): void {
    this.requireLive(what);
    const expected = this.inputShapes ?? [undefined];
    if (shapes.length !== expected.length)
      throw new RangeError(`${what}: the model takes ${expected.length} input${expected.length === 1 ? '' : 's'}, got ${shapes.length}`);
    shapes.forEach((shape, k) => {
      const want = expected[k];
      if (want && shape.join() !== want.join()) {
        const which = expected.length > 1 ? ` ${k}` : '';
        throw new RangeError(`${what}: expected input${which} of shape [None, ${want}], got [None, ${shape}]`);
      }
    });
    // A model that knows its input shapes builds for them; a Sequential without one, for the data's.
    if (!this.built)
      this.build(this.inputShapes ? undefined : checkShape(what, 'the per-example input shape (x without its batch dim)', shapes[0]));
  }

  /** Trains the model; see {@link FitOptions}. `x` is a Keras-shaped tensor (with labels `y`) or a Dataset. */
  fit(x: Tensor | Tensor[] | Dataset, y?: Tensor | Tensor[] | FitOptions, options?: FitOptions): Promise<History> {
    return exclusive(this, this.name, 'fit', () => fit(this, x, y, options));
  }

  /** The loss and metrics over a dataset, in eval mode and without grad. */
  evaluate(x: Tensor | Tensor[] | Dataset, y?: Tensor | Tensor[] | EvaluateOptions, options?: EvaluateOptions): Promise<Logs> {
    return exclusive(this, this.name, 'evaluate', () => evaluate(this, x, y, options));
  }

  /**
   * The model's outputs for `x`, in batches, in eval mode and without grad (on the model's device):
   * an array of them for a functional model given an array of outputs.
   */
  predict(x: Tensor | Tensor[] | Dataset, options?: PredictOptions): Promise<Output> {
    return exclusive(this, this.name, 'predict', () => predict(this, x, options) as Promise<Output>);
  }

  /** The model's outputs for one batch, in eval mode and without grad. */
  predictOnBatch(x: Tensor | Tensor[]): Promise<Output> {
    return exclusive(this, this.name, 'predictOnBatch', () => predictOnBatch(this, x) as Promise<Output>);
  }

  /** One training step on one batch; resolves to its loss and metrics. */
  trainOnBatch(x: Tensor | Tensor[], y: Tensor | Tensor[]): Promise<Logs> {
    return exclusive(this, this.name, 'trainOnBatch', () => trainOnBatch(this, x, y));
  }

  /**
   * Writes the architecture (model.json) and the weights (a model-<id>.safetensors file that
   * model.json names) into folder `dir`; a save killed at any moment leaves the old model or the new.
   * A path ending in `.keras` is written as a Keras 3 file instead (keras-save.ts).
   */
  save(dir: string): Promise<void> {
    // Not exclusive: saves of one model may overlap (they only read, and queue per folder).
    return Promise.resolve().then(() => {
      this.requireIdle('save');
      if (isKerasFile(dir)) return saveKerasFile(dir, this.snapshot(), this.callShapes());
      return saveModelFolder(dir, () => this.snapshot());
    });
  }

  /** Writes the weights alone to a safetensors file. */
  saveWeights(path: string): Promise<void> {
    return Promise.resolve().then(() => {
      this.requireIdle('saveWeights');
      return saveWeightsFile(path, this.namedWeights(), this.name);
    });
  }

  /** Loads weights saved by {@link Model.saveWeights} or {@link Model.save} (a file or a model folder). */
  loadWeights(path: string): Promise<void> {
    return exclusive(this, this.name, 'loadWeights', () => loadWeightsFile(path, this.namedWeights(), this.name));
  }

  /** Frees every weight and the optimizer's state; the model cannot be used after this (a second dispose does nothing). */
  dispose(): void {
    this.requireIdle('dispose');
    this.traces.clear();
    for (const layer of this.layers) layer.dispose();
    this.#compiled?.optimizer.dispose();
    this.forgetShapes();
    this.#disposed = true;
  }

  /** True once {@link Model.dispose} has run. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  // What a save writes: the architecture and compile settings, and the named weights.
  private snapshot(): ModelSnapshot {
    this.requireLive('save');
    this.ensureBuilt();
    const compiled = this.#compiled;
    const compile: SavedModel['compile'] = compiled && {
      optimizer: { name: compiled.optimizer.name, config: compiled.optimizer.options },
      loss: compiled.args.loss,
      ...(compiled.args.lossWeights === undefined ? {} : { lossWeights: compiled.args.lossWeights }),
      metrics: compiled.args.metrics,
      cudaGraph: compiled.cudaGraph,
      mixedPrecision: compiled.mixedPrecision,
    };
    return { architecture: { name: this.name, ...this.architecture(), compile }, weights: this.namedWeights() };
  }

  /** Binds the optimizer to the current weights, carrying `state` over when given. */
  protected rebindOptimizer(state: ReturnType<Optimizer['getState']> | null = null): void {
    const optimizer = this.#compiled?.optimizer;
    if (!optimizer || !this.built) return;
    optimizer.attach(this.trainableWeights);
    if (state) optimizer.setState(state);
  }
}
