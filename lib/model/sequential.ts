// Sequential: a stack of layers with Keras's model API. This file holds the model's structure,
// weights, device and compile state; it uses the loops (training.ts), compile's settings
// (compiled.ts) and the files (model-file.ts), which see it only through model-api.ts.
import { defaultDevice, normalizeDevice } from '../device.js';
import { tidy } from '../memory.js';
import type { Dataset } from '../data/dataset.js';
import { Activation } from '../nn/activation.js';
import { fusedPair } from '../nn/fusion.js';
import { Layer, checkShape, type CallContext, type Shape } from '../nn/layer.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Device, Tensor } from '../tensor.js';
import type { History } from './callbacks.js';
import { resolveCompile, type CompileArgs, type Compiled } from './compiled.js';
import type { Logs } from './logs.js';
import type { CallbackModel, TrainingModel } from './model-api.js';
import { loadWeightsFile, saveModelFolder, saveWeightsFile, type ModelSnapshot } from './model-file.js';
import { isKerasFile } from './keras-file.js';
import { saveKerasFile } from './keras-save.js';
import { snakeCase } from './snake-case.js';
import { formatSummary } from './summary.js';
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
import { describeValue, expectFunction, expectString, readOptions } from '../arguments.js';
import { expectTensor } from '../tensor.js';
import { exclusive, requireIdle } from './exclusive.js';
import { StepTraces } from './traced-step.js';

/**
 * A linear stack of layers. Inputs are Keras-shaped ([N, height, width, channels] images); the
 * model permutes them once to NCHW with channels-last strides, which costs no copy. It trains on
 * CUDA when available, else on the CPU; {@link Sequential.to} moves it.
 */
export class Sequential implements TrainingModel, CallbackModel {
  readonly name: string;
  /**
   * Set by a callback (EarlyStopping) to end fit after the current batch; set from elsewhere, after
   * the current job of steps (up to 16 when no callback has batch hooks).
   */
  stopTraining = false;
  #layers: Layer[] = [];
  #shapes: Shape[] | null = null;
  #device: Device = normalizeDevice(defaultDevice());
  #compiled: Compiled | null = null;
  #disposed = false;
  /** @internal The recorded steps that run off the JS thread. */
  readonly traces = new StepTraces();

  constructor(layers: Layer[] = [], options?: { name?: string }) {
    const name = readOptions<{ name: string }>('Sequential', options, ['name']).name ?? 'sequential';
    this.name = expectString('Sequential', 'name', name);
    if (!Array.isArray(layers)) throw new TypeError(`Sequential: layers must be an array of layers, got ${describeValue(layers)}`);
    for (const layer of [...(layers as unknown[])]) this.add(layer as Layer);
  }

  /** @internal Throws for `what` once the model is disposed: its weights are gone, and rebuilding them silently would lose them. */
  requireLive(what: string): void {
    if (this.#disposed) throw new Error(`${what}: the model '${this.name}' was disposed; build a new one`);
  }

  // Before anything that reads or changes the weights or the structure: refused while another call runs (exclusive.ts).
  private requireIdle(what: string): void {
    requireIdle(this, this.name, what);
  }

  /** Appends a layer, naming it if it has no name. */
  add(layer: Layer): void {
    this.requireLive('Sequential.add');
    this.requireIdle('Sequential.add');
    const given: unknown = layer; // from JS, anything
    if (!(given instanceof Layer)) throw new TypeError(`Sequential.add: expected a layer, got ${describeValue(given)}`);
    if (this.#layers.includes(layer)) throw new RangeError(`Sequential.add: layer '${layer.name}' is already in the model`);
    if (this.#layers.length > 0 && layer.inputShape)
      throw new RangeError(`Sequential.add: only the first layer takes an inputShape ('${layer.className}' has one)`);
    const names = new Set(this.#layers.map((l) => l.name));
    if (layer.name === undefined) {
      const base = snakeCase(layer.className);
      let name = base;
      for (let k = 1; names.has(name); k++) name = `${base}_${k}`;
      layer.name = name;
    } else if (names.has(layer.name)) {
      throw new RangeError(`Sequential.add: the model already has a layer named '${layer.name}'`);
    }
    this.#layers.push(layer);
    this.traces.clear();
    if (this.#shapes) {
      const shape = this.#shapes[this.#shapes.length - 1];
      layer.build(shape, this.#device);
      this.#shapes.push(layer.computeOutputShape(shape));
      this.rebindOptimizer();
    }
  }

  /** The layers, in order. */
  get layers(): readonly Layer[] {
    return this.#layers;
  }

  /** The per-example input shape: the first layer's inputShape, or the shape the model was built for. */
  get inputShape(): Shape | undefined {
    return this.#shapes?.[0] ?? this.#layers[0]?.inputShape;
  }

  /** The per-example output shape (the model must be built). */
  get outputShape(): Shape {
    return this.shapes()[this.#layers.length];
  }

  /** True once every layer has its weights. */
  get built(): boolean {
    return this.#shapes !== null;
  }

  /** Builds every layer for `inputShape` (default: the first layer's inputShape). */
  build(shape?: Shape): void {
    this.requireLive('build');
    const inputShape = shape === undefined ? this.inputShape : checkShape('build', 'inputShape', shape);
    if (this.#shapes) {
      if (inputShape && inputShape.join() !== this.#shapes[0].join()) {
        throw new RangeError(`${this.name}: expected input shape [None, ${this.#shapes[0]}], got [None, ${inputShape}]`);
      }
      return;
    }
    if (!inputShape) throw new Error(`${this.name}: the input shape is unknown; give the first layer an inputShape, or call build(shape)`);
    if (this.#layers.length === 0) throw new Error(`${this.name}: the model has no layers`);
    const shapes = [[...inputShape]];
    for (const layer of this.#layers) {
      const shape = shapes[shapes.length - 1];
      layer.build(shape, this.#device);
      shapes.push(layer.computeOutputShape(shape));
    }
    this.#shapes = shapes;
    this.rebindOptimizer();
  }

  private shapes(): Shape[] {
    this.requireLive(this.name);
    if (!this.#shapes) this.build();
    return this.#shapes!;
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
    for (const layer of this.#layers) layer.moveTo(target);
    this.rebindOptimizer(state);
    if (state)
      Object.values(state.buffers)
        .flat()
        .forEach((t) => t?.dispose());
    return this;
  }

  /** All weights, named `layer/weight`, in layer order. */
  namedWeights(): [string, Tensor][] {
    this.shapes();
    return this.#layers.flatMap((layer) => layer.weights.map((w) => [`${layer.name}/${w.name}`, w.tensor] as [string, Tensor]));
  }

  /** @internal Every weight tensor, in layer order: the inputs of a traced step besides the batch. */
  get weightTensors(): Tensor[] {
    return this.namedWeights().map(([, t]) => t);
  }

  /** The weights the optimizer updates. */
  get trainableWeights(): Tensor[] {
    this.shapes();
    return this.#layers.flatMap((layer) => layer.trainableWeights);
  }

  /** The number of weight elements. */
  countParams(): number {
    this.shapes();
    return this.#layers.reduce((n, layer) => n + layer.countParams(), 0);
  }

  /** Copies of every weight, in order (yours to dispose). */
  getWeights(): Tensor[] {
    this.requireIdle('getWeights');
    return this.namedWeights().map(([, t]) => t.detach().clone());
  }

  /** Sets every weight, in the order of {@link Sequential.getWeights}, copying in place. */
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
    const shapes = this.shapes();
    print(
      formatSummary(
        this.name,
        this.#layers.map((layer, k) => ({ layer, outputShape: shapes[k + 1] })),
      ),
    );
  }

  /** Sets the optimizer, loss and metrics for training. */
  compile(options: CompileArgs): void {
    this.requireLive('compile');
    this.requireIdle('compile');
    this.#compiled = resolveCompile(options, this.lastActivation());
    this.traces.clear();
    if (this.#shapes) this.rebindOptimizer();
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

  /**
   * @internal The forward pass on a batch in the internal layout. With `preActivation`, the last
   * layer stops before its activation (for the fused softmax + cross-entropy).
   */
  forward(input: Tensor, ctx: CallContext, preActivation = false): Tensor {
    const layers = this.#layers;
    const last = layers.length - 1;
    let x = input;
    for (let k = 0; k <= last; k++) {
      const layer = layers[k];
      // A ReLU convolution and the max pooling after it run as one op (fusedPair).
      const pair = k < last && !(k + 1 === last && preActivation) ? fusedPair(layer, layers[k + 1]) : null;
      // Each layer's temporaries, and the activation it consumed, are freed as soon as it returns
      // (autograd keeps what backward needs), as Python's reference counting does for PyTorch:
      // peak memory stays at what the graph needs, not every intermediate of the step.
      const y = tidy(() =>
        pair
          ? pair(x)
          : k === last && preActivation
            ? layer instanceof Activation
              ? x
              : (layer as unknown as { preActivation(x: Tensor): Tensor }).preActivation(x)
            : layer.call(x, ctx),
      );
      if (pair) k++;
      if (x !== input && x !== y) x.dispose();
      x = y;
    }
    return x;
  }

  /** @internal Checks a per-example input shape against the model's, building the model if needed. */
  acceptInputShape(shape: Shape, what: string): void {
    this.requireLive(what);
    const expected = this.inputShape;
    if (expected && shape.join() !== expected.join()) {
      throw new RangeError(`${what}: expected input of shape [None, ${expected}], got [None, ${shape}]`);
    }
    if (!this.#shapes) this.build(checkShape(what, 'the per-example input shape (x without its batch dim)', shape));
  }

  /** @internal The last layer's activation name ('linear' if it has none). */
  lastActivation(): string {
    const last = this.#layers[this.#layers.length - 1] as (Layer & { activation?: string }) | undefined;
    return last?.activation ?? 'linear';
  }

  /** Trains the model; see {@link FitOptions}. `x` is a Keras-shaped tensor (with labels `y`) or a Dataset. */
  fit(x: Tensor | Dataset, y?: Tensor | FitOptions, options?: FitOptions): Promise<History> {
    return exclusive(this, this.name, 'fit', () => fit(this, x, y, options));
  }

  /** The loss and metrics over a dataset, in eval mode and without grad. */
  evaluate(x: Tensor | Dataset, y?: Tensor | EvaluateOptions, options?: EvaluateOptions): Promise<Logs> {
    return exclusive(this, this.name, 'evaluate', () => evaluate(this, x, y, options));
  }

  /** The model's outputs for `x`, in batches, in eval mode and without grad (on the model's device). */
  predict(x: Tensor | Dataset, options?: PredictOptions): Promise<Tensor> {
    return exclusive(this, this.name, 'predict', () => predict(this, x, options));
  }

  /** The model's outputs for one batch, in eval mode and without grad. */
  predictOnBatch(x: Tensor): Promise<Tensor> {
    return exclusive(this, this.name, 'predictOnBatch', () => predictOnBatch(this, x));
  }

  /** One training step on one batch; resolves to its loss and metrics. */
  trainOnBatch(x: Tensor, y: Tensor): Promise<Logs> {
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
      if (isKerasFile(dir)) return saveKerasFile(dir, this.snapshot());
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

  /** Loads weights saved by {@link Sequential.saveWeights} or {@link Sequential.save} (a file or a model folder). */
  loadWeights(path: string): Promise<void> {
    return exclusive(this, this.name, 'loadWeights', () => loadWeightsFile(path, this.namedWeights(), this.name));
  }

  /** Frees every weight and the optimizer's state; the model cannot be used after this (a second dispose does nothing). */
  dispose(): void {
    this.requireIdle('dispose');
    this.traces.clear();
    for (const layer of this.#layers) layer.dispose();
    this.#compiled?.optimizer.dispose();
    this.#shapes = null;
    this.#disposed = true;
  }

  /** True once {@link Sequential.dispose} has run. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  // What a save writes: the architecture and compile settings, and the named weights.
  private snapshot(): ModelSnapshot {
    this.requireLive('save');
    if (!this.built) this.build();
    const compiled = this.#compiled;
    return {
      architecture: {
        name: this.name,
        inputShape: this.inputShape!,
        layers: this.#layers.map((layer) => ({ className: layer.className, config: layer.getConfig() })),
        compile: compiled && {
          optimizer: { name: compiled.optimizer.name, config: compiled.optimizer.options },
          loss: compiled.args.loss,
          metrics: compiled.args.metrics,
          cudaGraph: compiled.cudaGraph,
          mixedPrecision: compiled.mixedPrecision,
        },
      },
      weights: this.namedWeights(),
    };
  }

  // Binds the optimizer to the current weights, carrying `state` over when given.
  private rebindOptimizer(state: ReturnType<Optimizer['getState']> | null = null): void {
    const optimizer = this.#compiled?.optimizer;
    if (!optimizer || !this.#shapes) return;
    optimizer.attach(this.trainableWeights);
    if (state) optimizer.setState(state);
  }
}

/** Creates a {@link Sequential} model: `sequential([layers.dense({ units: 10 })])`. */
export function sequential(layers: Layer[] = [], options?: { name?: string }): Sequential {
  return new Sequential(layers, options);
}
