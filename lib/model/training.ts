// The loops behind fit, evaluate, predict and trainOnBatch. Per step: forward, loss, backward and
// one optimizer call, run off the JS thread (traced-step.ts) unless the model runs eagerly; loss
// and accuracy accumulate in device tensors, which the host reads only when the progress bar
// redraws or a callback reads the logs, and at the end of the epoch.
import { noGrad } from '../autograd.js';
import { inputsOf, isDataset, targetsOf, TensorDataset, type Batch, type BatchOptions, type Dataset } from '../data/dataset.js';
import { native } from '../native.js';
import { keep, tidy } from '../memory.js';
import { cat, expectTensor, isTensor, Tensor } from '../tensor.js';
import { describeValue, optionalBoolean, readOptions } from '../arguments.js';
import { CallbackList, History, readCallbacks, type Callback, type CallbackHooks } from './callbacks.js';
import type { Logs } from './logs.js';
import { GraphStep } from './graph-step.js';
import { Meter } from './meter.js';
import { formatResult, ProgressBar, type ProgressOutput } from './progress.js';
import type { Compiled } from './compiled.js';
import type { CallbackModel, TrainingModel } from './model-api.js';
import { forwardLoss, trainStep, withPrecision } from './step.js';
import { DataParallel, type DistributedFitOptions } from './data-parallel.js';
import { randint } from '../create.js';
import type { StepCall, StepSync } from './traced-step.js';
import type { Optimizer } from '../optim/optimizer.js';

/** Options of {@link Model.fit}, with Keras's names and defaults. */
export interface FitOptions {
  /** Default 1. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Evaluated at the end of each epoch: [x, y] tensors (each an array for several inputs or outputs) or a Dataset. */
  validationData?: [Tensor | Tensor[], Tensor | Tensor[]] | Dataset;
  /** A fraction of the tensors x, y (the last examples, before shuffling) held out for validation. */
  validationSplit?: number;
  /** Reshuffle the training data each epoch (default true). */
  shuffle?: boolean;
  /**
   * Callback objects or instances of Callback subclasses: an array, or one of them. Without
   * onBatchBegin or onBatchEnd hooks, fit hands the compute thread up to 16 steps per job.
   */
  callbacks?: (CallbackHooks | Callback)[] | CallbackHooks | Callback;
  /** 0 silent, 1 a progress bar (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** The epoch to start counting from, to resume a run (default 0). */
  initialEpoch?: number;
  /** Where progress is written (default process.stdout). */
  output?: ProgressOutput;
  /**
   * Data-parallel training across the ranks of tl.distributed (joined from torchrun's variables
   * if init() was not called), as Keras's MultiWorkerMirroredStrategy: `batchSize` is the global
   * batch, which the ranks split; only rank 0 shows progress and writes checkpoints.
   */
  distributed?: boolean | DistributedFitOptions;
}

/** Options of {@link Model.evaluate}. */
export interface EvaluateOptions {
  /** Default 32. */
  batchSize?: number;
  /** 0 silent (default), 1 or 2 one line with the results. */
  verbose?: 0 | 1 | 2;
  output?: ProgressOutput;
}

/** Options of {@link Model.predict}. */
export interface PredictOptions {
  /** Default 32. */
  batchSize?: number;
}

const FIT_OPTIONS: (keyof FitOptions)[] = [
  'epochs',
  'batchSize',
  'validationData',
  'validationSplit',
  'shuffle',
  'callbacks',
  'verbose',
  'initialEpoch',
  'output',
  'distributed',
];
const EVALUATE_OPTIONS: (keyof EvaluateOptions)[] = ['batchSize', 'verbose', 'output'];
const PREDICT_OPTIONS: (keyof PredictOptions)[] = ['batchSize'];
const YIELD_EVERY_MS = 10;

/** Lets timers and signals run while a long loop trains: yields at most every YIELD_EVERY_MS. */
class Yielder {
  private last = performance.now();
  async maybe(): Promise<void> {
    const now = performance.now();
    if (now - this.last < YIELD_EVERY_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}

function positiveInteger(owner: string, name: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || (v as number) < 1)
    throw new RangeError(`${owner}: ${name} must be a positive integer, got ${describeValue(value)}`);
  return v as number;
}

function checkVerbose(owner: string, value: unknown, fallback: 0 | 1 | 2): 0 | 1 | 2 {
  const v = value ?? fallback;
  if (v !== 0 && v !== 1 && v !== 2) throw new RangeError(`${owner}: verbose must be 0, 1 or 2, got ${describeValue(value)}`);
  return v;
}

// The data as a Dataset: a Dataset as is, or tensors x (Keras-shaped) and y checked against each
// other; for a model of several inputs or outputs, arrays of them.
function toDataset(model: TrainingModel, what: string, x: unknown, y: unknown): Dataset {
  if (isDataset(x)) {
    if (isTensor(y) || Array.isArray(y)) throw new TypeError(`${what}: y must be omitted when x is a Dataset`);
    model.acceptInputShapes(x.inputShapes ?? [x.inputShape], what);
    return x;
  }
  const xs = examplesOf(what, x);
  const ys = tensorsOf(what, 'y (the labels or targets)', y);
  model.acceptInputShapes(
    xs.map((t) => t.shape.slice(1)),
    what,
  );
  const n = xs[0].shape[0];
  xs.forEach((t, k) => {
    if (t.shape[0] !== n) throw new RangeError(`${what}: x[${k}] has ${t.shape[0]} examples but x[0] has ${n} (x[${k}]: [${t.shape}])`);
  });
  for (const labels of ys) {
    if (labels.rank === 0 || labels.shape[0] !== n) {
      throw new RangeError(
        `${what}: y has ${labels.rank === 0 ? 'no' : labels.shape[0]} entries but x has ${n} examples (x: [${xs[0].shape}], y: [${labels.shape}])`,
      );
    }
  }
  return new TensorDataset(Array.isArray(x) ? xs : xs[0], Array.isArray(y) ? ys : ys[0]);
}

// x when it is not a Dataset: a live tensor with a batch dim and at least one more, or an array of them.
function examplesOf(what: string, x: unknown): Tensor[] {
  if (!isTensor(x) && !Array.isArray(x))
    throw new TypeError(`${what}: x must be a Tensor, an array of them (one per model input) or a Dataset, got ${describeValue(x)}`);
  const xs = tensorsOf(what, 'x', x);
  xs.forEach((t, k) => {
    if (t.rank < 2) {
      const name = Array.isArray(x) ? `x[${k}]` : 'x';
      throw new RangeError(`${what}: ${name} must have a batch dim and at least one more (shape [N, ...]), got [${t.shape}]`);
    }
  });
  return xs;
}

// A tensor argument, or a non-empty array of them (one per model input or output), checked and copied.
function tensorsOf(what: string, name: string, value: unknown): Tensor[] {
  if (!Array.isArray(value)) return [expectTensor(what, name, value)];
  const list = [...(value as unknown[])];
  if (list.length === 0) throw new RangeError(`${what}: ${name} must be a tensor or a non-empty array of them, got []`);
  return list.map((t, k) => expectTensor(what, `${name.split(' ')[0]}[${k}]`, t));
}

// Batches a job of the compute thread takes in evaluate and predict (StepTraces.runAll): one
// wake of the JS thread for several steps, which would otherwise hold up a small model's steps
// (at batch 32 the JS thread's turn took 7% of a step on two cores). Fewer for big batches, whose
// steps gain little and whose batches, if a dataset copies them, would all be held at once.
function batchesPerJob(batchSize: number): number {
  return Math.min(16, Math.max(1, Math.floor(2048 / batchSize)));
}

// The next `size` batches, fewer at the end of the pass.
function drawBatches(batches: Iterator<Batch>, size: number): Batch[] {
  const group: Batch[] = [];
  for (let next = batches.next(); !next.done; next = batches.next()) if (group.push(next.value) === size) break;
  return group;
}

// Runs `step` on the batches of `data`, `size` at a time (fewer at the end), each group drawn
// inside its own tidy scope so that the batches' tensors go with it, and lets the event loop run
// between groups. With `depth` 2, the next group is drawn and its steps submitted while the one
// before still runs on the compute thread, which then goes from one step to the next without
// waiting for the JS thread (for steps that change nothing another step reads: prediction).
async function forEachBatches(
  data: Dataset,
  options: BatchOptions,
  size: number,
  step: (batches: Batch[], first: number) => Promise<void>,
  depth: 1 | 2 = 1,
): Promise<void> {
  const yielder = new Yielder();
  const batches = data.batches(options)[Symbol.iterator]();
  const inFlight: Promise<void>[] = [];
  let done = false;
  try {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the callback, which TS cannot see
    for (let first = 0; !done; first += size) {
      const running = tidy(async () => {
        const group = drawBatches(batches, size); // drawn now, in order: an async function runs up to its first await
        done = group.length < size;
        if (group.length > 0) await step(group, first);
      });
      running.catch(() => {}); // observed below, in order; not an unhandled rejection meanwhile
      inFlight.push(running);
      if (inFlight.length >= depth) await inFlight.shift();
      await yielder.maybe();
    }
    await Promise.all(inFlight);
  } catch (error) {
    await Promise.allSettled(inFlight); // none is left to reject unobserved
    throw error;
  } finally {
    batches.return?.();
  }
}

// The options of fit(x, y, options) or fit(dataset, options), read and checked.
function optionsOf<T extends object>(api: string, y: unknown, options: unknown, known: (keyof T & string)[]): Partial<T> {
  return readOptions<T>(api, options ?? (isTensor(y) || Array.isArray(y) || y === undefined ? undefined : y), known);
}

interface FitSettings {
  epochs: number;
  batchSize: number;
  verbose: 0 | 1 | 2;
  initialEpoch: number;
  shuffle: boolean;
}

function fitSettings(options: FitOptions): FitSettings {
  const epochs = positiveInteger('fit', 'epochs', options.epochs, 1);
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch >= epochs) {
    throw new RangeError(`fit: initialEpoch must be an integer in [0, epochs), got ${describeValue(options.initialEpoch)}`);
  }
  return {
    epochs,
    initialEpoch,
    batchSize: positiveInteger('fit', 'batchSize', options.batchSize, 32),
    verbose: checkVerbose('fit', options.verbose, 1),
    shuffle: optionalBoolean('fit', 'shuffle', options.shuffle, true),
  };
}

// The training and validation datasets of a fit call. Datasets made here from tensors go into
// `made`, for fit to free (their device copies and split views) when it ends.
function fitData(
  model: TrainingModel,
  x: unknown,
  y: unknown,
  options: FitOptions,
  made: TensorDataset[],
): { train: Dataset; validation: Dataset | null } {
  const adopt = (d: Dataset): Dataset => {
    if (d instanceof TensorDataset && d !== x && d !== options.validationData) made.push(d);
    return d;
  };
  let train = adopt(toDataset(model, 'fit', x, y));
  let validation: Dataset | null = null;
  const split = options.validationSplit;
  if (split !== undefined && split !== 0) {
    if (!(train instanceof TensorDataset))
      throw new RangeError('fit: validationSplit needs tensors x and y; pass a Dataset as validationData instead');
    if (typeof split !== 'number' || !(split > 0 && split < 1))
      throw new RangeError(`fit: validationSplit must be in (0, 1), got ${describeValue(split)}`);
    const held = Math.floor(train.size * split);
    if (held < 1 || held >= train.size)
      throw new RangeError(`fit: validationSplit ${split} of ${train.size} examples leaves no training or no validation data`);
    [train, validation] = train.split(train.size - held).map(adopt);
  }
  const v = options.validationData;
  if (v !== undefined) {
    const given: unknown = v; // from JS, anything
    if (Array.isArray(given) && given.length !== 2)
      throw new TypeError(`fit: validationData must be [x, y] or a Dataset, got an array of ${given.length}`);
    validation = adopt(
      Array.isArray(v) ? toDataset(model, 'fit (validationData)', v[0], v[1]) : toDataset(model, 'fit (validationData)', v, undefined),
    );
  }
  if (train.size === 0) throw new RangeError('fit: there is no training data (0 examples)');
  if (validation?.size === 0) throw new RangeError('fit: there is no validation data (0 examples)');
  return { train, validation };
}

/** See {@link Model.fit}. */
export async function fit(
  model: TrainingModel & CallbackModel,
  x: Tensor | Tensor[] | Dataset,
  yOrOptions?: Tensor | Tensor[] | FitOptions,
  maybeOptions?: FitOptions,
): Promise<History> {
  const compiled = model.requireCompiled('fit');
  const options = optionsOf<FitOptions>('fit', yOrOptions, maybeOptions, FIT_OPTIONS);
  const settings = fitSettings(options);
  const made: TensorDataset[] = [];
  try {
    const { train, validation } = fitData(model, x, yOrOptions, options, made);
    // Targets are checked once here, so that the step needs no per-batch check (a sync on CUDA).
    compiled.checkTargets(targetsIn(train), model.outputShapes);
    if (validation) compiled.checkTargets(targetsIn(validation), model.outputShapes);
    return await trainEpochs(model, compiled, settings, options, train, validation);
  } finally {
    made.forEach((d) => d.dispose());
  }
}

async function trainEpochs(
  model: TrainingModel & CallbackModel,
  compiled: Compiled,
  settings: FitSettings,
  options: FitOptions,
  train: Dataset,
  validation: Dataset | null,
): Promise<History> {
  const { epochs, batchSize, verbose, initialEpoch, shuffle } = settings;
  const device = model.device;
  const steps = Math.ceil(train.size / batchSize);
  const history = new History();
  const cuda = device.startsWith('cuda');
  if (cuda) native.setCudnnBenchmark(compiled.cudnnBenchmark);
  // One meter for the run (reset each epoch): a captured graph adds into its sums in place.
  const meter = new Meter(compiled.outputs, device);
  let parallel: DataParallel | null = null;
  let graph: GraphStep | null = null;
  try {
    if (options.distributed !== undefined && options.distributed !== false)
      parallel = await DataParallel.start(model, compiled, meter, options.distributed);
    graph = compiled.cudaGraph && cuda ? new GraphStep(model, compiled, meter) : null;
    // Only rank 0 shows progress; every rank runs the callbacks, on the same global logs.
    const shown = parallel && parallel.shard.rank !== 0 ? 0 : verbose;
    if (parallel && shown > 0) (options.output ?? process.stdout).write(parallel.describe(train.size, batchSize));
    const callbacks = new CallbackList(
      [...readCallbacks(options.callbacks), history, ...(shown > 0 ? [new ProgressBar(shown as 1 | 2, options.output)] : [])],
      model,
      { epochs, steps, verbose },
    );
    // Each epoch's order comes from one seed drawn here (rank 0's, in data-parallel training).
    let seed = shuffle ? Number(tidy(() => randint(0, 2 ** 31 - 1, [1]).item())) : undefined;
    if (parallel && seed !== undefined) seed = await parallel.agree(seed);
    const loop: EpochLoop = { model, compiled, meter, graph, parallel, callbacks, yielder: new Yielder(), size: train.size, batchSize };
    model.stopTraining = false;
    await callbacks.call('onTrainBegin', {});
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- callbacks set stopTraining during the epoch
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      await callbacks.call('onEpochBegin', epoch, {});
      meter.reset();
      const order = {
        batchSize,
        shuffle,
        device,
        ...(seed === undefined ? {} : { seed: seed + epoch }),
        ...(parallel ? { shard: parallel.shard } : {}),
      };
      await trainEpoch(loop, train, order);
      const logs = meter.read();
      await parallel?.syncBuffers();
      if (validation) {
        for (const [key, value] of Object.entries(await evaluateDataset(model, compiled, validation, batchSize)))
          logs[`val_${key}`] = value;
      }
      await callbacks.call('onEpochEnd', epoch, logs);
    }
    await callbacks.call('onTrainEnd', {});
  } finally {
    parallel?.dispose();
    graph?.dispose();
    meter.dispose();
  }
  return history;
}

// What an epoch's loop uses, fixed for the run.
interface EpochLoop {
  model: TrainingModel;
  compiled: Compiled;
  meter: Meter;
  graph: GraphStep | null;
  parallel: DataParallel | null;
  callbacks: CallbackList;
  yielder: Yielder;
  /** The training set's size and the (global) batch size, which give each batch's length. */
  size: number;
  batchSize: number;
}

// The batches of one epoch, each trained on (eagerly, or by a graph replay) in its own tidy scope;
// in groups, one job of the compute thread each, when no callback needs to see every batch (the
// progress bar is told at the end of each group).
async function trainEpoch(loop: EpochLoop, data: Dataset, batchOptions: BatchOptions): Promise<void> {
  const { model, compiled, meter, graph, parallel, callbacks, yielder } = loop;
  const batchHooks = callbacks.has('onBatchBegin') || callbacks.has('onBatchEnd');
  const perJob = graph || parallel || compiled.runEagerly || callbacks.seesEveryBatch() ? 1 : batchesPerJob(loop.batchSize);
  const batches = data.batches(batchOptions)[Symbol.iterator]();
  try {
    for (let step = 0; ;) {
      // The batch is drawn before onBatchBegin, so that the hook runs only for real batches; its
      // tensors belong to the step's tidy scope, which follows the hook's await.
      const trained = await tidy(async () => {
        const group = drawBatches(batches, perJob);
        if (perJob > 1 && group.length > 0) await trainGroup(model, compiled, group, meter);
        if (perJob > 1 || group.length === 0) return group.length;
        if (batchHooks) await callbacks.call('onBatchBegin', step, meter.lazyLogs());
        if (graph) graph.run(group[0]);
        else if (parallel) await trainPart(loop, group[0], step, parallel);
        else await trainBatch(model, compiled, group[0], meter, 'fit');
        return 1;
      });
      if (trained === 0) break;
      step += trained;
      if (batchHooks) await callbacks.call('onBatchEnd', step - 1, meter.lazyLogs());
      if (model.stopTraining) break;
      await yielder.maybe();
    }
  } finally {
    batches.return?.();
  }
}

// `batches` trained on in order: as one job of the compute thread once each has a recorded step,
// else one by one (the first batch of each shape records its step).
async function trainGroup(model: TrainingModel, compiled: Compiled, batches: Batch[], meter: Meter): Promise<void> {
  const calls = batches.map((batch) => meteredCall(model, compiled, batch, meter, 'fit', compiled.optimizer));
  if (await model.traces.runAll(calls)) for (const batch of batches) meter.count(batch.y.shape[0]);
  else for (const batch of batches) await trainBatch(model, compiled, batch, meter, 'fit');
}

// This rank's part of global batch `step`, in data-parallel training: counted as the whole batch,
// whose sums the step's reduction adds up. A rank whose part is empty still takes part.
async function trainPart(loop: EpochLoop, batch: Batch, step: number, parallel: DataParallel): Promise<void> {
  const length = Math.min(loop.batchSize, loop.size - step * loop.batchSize);
  const { sync, scale, count } = parallel.step(length);
  const got = batch.y.shape[0];
  if (got !== count) {
    throw new RangeError(
      `fit: the dataset gave ${got} examples for batch ${step}, but this rank's part of it is ${count}: a Dataset must yield options.shard's part of each batch (see BatchOptions)`,
    );
  }
  if (count === 0) await native.runStep(null, [], loop.compiled.optimizer.handle('fit'), 'fit', sync, 0);
  else await trainBatch(loop.model, loop.compiled, batch, loop.meter, 'fit', { sync, scale });
  loop.meter.count(length - count);
}

// What a traced step takes for the batch's inputs: the stored batch and its constants when the
// dataset says how x is made from them (the step then makes x, on the compute thread), else the inputs.
function xInputs(batch: Pick<Batch, 'x' | 'source' | 'inputs'>): Tensor[] {
  return batch.source?.inputs ?? inputsOf(batch);
}

// The inputs, as the traced step makes them from xInputs(batch).
function xInStep(batch: Pick<Batch, 'x' | 'source' | 'inputs'>): Tensor[] {
  return batch.source ? [batch.source.prepare(batch.source.inputs)] : inputsOf(batch);
}

// The step as fit and evaluate trace it: forward pass and loss, with the batch's loss and metric
// counts added to the meter's sums; with an optimizer, a training step.
function meteredCall(
  model: TrainingModel,
  compiled: Compiled,
  batch: Batch,
  meter: Meter,
  label: string,
  optimizer: Optimizer | null,
): StepCall {
  const stored = xInputs(batch);
  const targets = targetsOf(batch);
  return {
    label,
    inputs: [...stored, ...targets, ...meter.sums, ...model.weightTensors],
    batchInputs: stored.length + targets.length,
    variant: batch.source?.key,
    run: () => {
      const inputs = xInStep(batch);
      const { outputs, loss, parts } = forwardLoss(model, compiled, { x: inputs[0], y: targets[0], inputs, targets }, optimizer !== null);
      meter.add(loss, parts, outputs, targets);
      return [loss];
    },
    optimizer,
  };
}

// One training step on `batch`: off the JS thread, or eagerly.
async function trainBatch(
  model: TrainingModel,
  compiled: Compiled,
  batch: Batch,
  meter: Meter,
  label: string,
  sync?: StepSync,
): Promise<void> {
  const call = { ...meteredCall(model, compiled, batch, meter, label, compiled.optimizer), sync };
  if (compiled.runEagerly || !(await model.traces.run(call))) trainStep(model, compiled, batch, meter, false, sync);
  meter.count(batch.y.shape[0]);
}

// The mean loss and metrics over a dataset, in eval mode, without grad.
async function evaluateDataset(model: TrainingModel, compiled: Compiled, data: Dataset, batchSize: number): Promise<Logs> {
  const meter = new Meter(compiled.outputs, model.device);
  try {
    await noGrad(() =>
      forEachBatches(data, { batchSize, shuffle: false, device: model.device }, batchesPerJob(batchSize), async (batches) => {
        const calls = batches.map((batch) => meteredCall(model, compiled, batch, meter, 'evaluate', null));
        if (compiled.runEagerly || !(await model.traces.runAll(calls)))
          for (const call of calls) if (compiled.runEagerly || !(await model.traces.run(call))) call.run();
        for (const batch of batches) meter.count(batch.y.shape[0]);
      }),
    );
    return meter.read();
  } finally {
    meter.dispose();
  }
}

/** See {@link Model.evaluate}. */
export async function evaluate(
  model: TrainingModel,
  x: Tensor | Tensor[] | Dataset,
  yOrOptions?: Tensor | Tensor[] | EvaluateOptions,
  maybeOptions?: EvaluateOptions,
): Promise<Logs> {
  const compiled = model.requireCompiled('evaluate');
  const options = optionsOf<EvaluateOptions>('evaluate', yOrOptions, maybeOptions, EVALUATE_OPTIONS);
  const batchSize = positiveInteger('evaluate', 'batchSize', options.batchSize, 32);
  const verbose = checkVerbose('evaluate', options.verbose, 0);
  const data = toDataset(model, 'evaluate', x, yOrOptions);
  if (data.size === 0) {
    if (data !== x) (data as TensorDataset).dispose();
    throw new RangeError('evaluate: there is no data (0 examples)');
  }
  const start = performance.now();
  let logs: Logs;
  try {
    compiled.checkTargets(targetsIn(data), model.outputShapes);
    logs = await evaluateDataset(model, compiled, data, batchSize);
  } finally {
    if (data !== x) (data as TensorDataset).dispose();
  }
  if (verbose > 0) {
    const steps = Math.ceil(data.size / batchSize);
    const elapsed = performance.now() - start;
    (options.output ?? process.stdout).write(formatResult(verbose as 1 | 2, steps, elapsed, elapsed / steps, logs) + '\n');
  }
  return logs;
}

/** See {@link Model.predict}. */
export async function predict(model: TrainingModel, x: Tensor | Tensor[] | Dataset, options?: PredictOptions): Promise<Tensor | Tensor[]> {
  const batchSize = positiveInteger('predict', 'batchSize', readOptions<PredictOptions>('predict', options, PREDICT_OPTIONS).batchSize, 32);
  const xs = isDataset(x) ? null : examplesOf('predict', x);
  model.acceptInputShapes(xs ? xs.map((t) => t.shape.slice(1)) : ((x as Dataset).inputShapes ?? [(x as Dataset).inputShape]), 'predict');
  // Tensors become a dataset whose targets are never read.
  const data: Dataset = xs ? new TensorDataset(Array.isArray(x) ? xs : xs[0], xs[0]) : (x as Dataset);
  if (data.size === 0) {
    if (data !== x) (data as TensorDataset).dispose();
    throw new RangeError('predict: there is no data (0 examples)');
  }
  const outputs: Tensor[][] = [];
  try {
    await noGrad(() =>
      forEachBatches(
        data,
        { batchSize, shuffle: false, device: model.device },
        batchesPerJob(batchSize),
        async (batches, first) => {
          (await predictBatches(model, batches, 'predict')).forEach((each, k) => (outputs[first + k] = each.map((t) => keep(t))));
        },
        2,
      ),
    );
    const joined = model.outputShapes.map((_, j) =>
      outputs.length === 1
        ? outputs[0][j].clone()
        : cat(
            outputs.map((each) => each[j]),
            0,
          ),
    );
    return model.givesOutputList ? joined : joined[0];
  } finally {
    outputs.flat().forEach((t) => t.dispose());
    if (data !== x) (data as TensorDataset).dispose();
  }
}

/** See {@link Model.predictOnBatch}. */
export async function predictOnBatch(model: TrainingModel, x: Tensor | Tensor[]): Promise<Tensor | Tensor[]> {
  const xs = tensorsOf('predictOnBatch', 'x', x);
  model.acceptInputShapes(
    xs.map((t) => t.shape.slice(1)),
    'predictOnBatch',
  );
  // Clones: a traced prediction's output is an inference tensor (native/step-trace.cc), which
  // in-place ops would refuse.
  const outputs = await tidy(async () => {
    const inputs = xs.map((t) => (t.rank === 4 ? t.permute([0, 3, 1, 2]) : t).to(model.device));
    const [each] = await noGrad(() => predictBatches(model, [{ x: inputs[0], inputs }], 'predictOnBatch'));
    return each.map((t) => t.clone());
  });
  return model.givesOutputList ? outputs : outputs[0];
}

// The model's public outputs for each batch, in the internal layout: off the JS thread, or eagerly.
async function predictBatches(model: TrainingModel, batches: Pick<Batch, 'x' | 'source' | 'inputs'>[], label: string): Promise<Tensor[][]> {
  const weights = model.weightTensors;
  const calls: StepCall[] = batches.map((batch) => {
    const stored = xInputs(batch);
    return {
      label,
      inputs: [...stored, ...weights],
      batchInputs: stored.length,
      variant: batch.source?.key,
      run: () => inferencePass(model, xInStep(batch)).map(toPublic),
      optimizer: null,
      pure: true,
    };
  });
  const eager = model.compiled && model.requireCompiled(label).runEagerly;
  const outputs = eager ? null : await model.traces.runAll(calls);
  if (outputs) return outputs;
  const results: Tensor[][] = [];
  for (const call of calls) results.push((eager ? null : await model.traces.run(call)) ?? call.run());
  return results;
}

// The forward pass of prediction, in the precision the model was compiled with.
function inferencePass(model: TrainingModel, inputs: Tensor[]): Tensor[] {
  const forward = () => model.forwardAll(inputs, { training: false });
  return model.compiled ? withPrecision(model, model.requireCompiled('predict'), forward) : forward();
}

// Outputs go back as float32 (from bf16 autocast) and images in Keras's [N, height, width, channels].
function toPublic(output: Tensor): Tensor {
  const float = output.dtype === 'float32' ? output : output.to('float32');
  return float.rank === 4 ? float.permute([0, 2, 3, 1]).contiguous() : float;
}

/** Every output's targets of a dataset. */
function targetsIn(data: Dataset): Tensor[] {
  return data.targetList ?? [data.targets];
}

/** See {@link Model.trainOnBatch}. */
export async function trainOnBatch(model: TrainingModel, x: Tensor | Tensor[], y: Tensor | Tensor[]): Promise<Logs> {
  const compiled = model.requireCompiled('trainOnBatch');
  const data = toDataset(model, 'trainOnBatch', x, y) as TensorDataset;
  const meter = new Meter(compiled.outputs, model.device);
  try {
    compiled.checkTargets(targetsIn(data), model.outputShapes);
    await tidy(async () => {
      for (const batch of data.batches({ batchSize: data.size, shuffle: false, device: model.device }))
        await trainBatch(model, compiled, batch, meter, 'trainOnBatch');
    });
    return meter.read();
  } finally {
    meter.dispose();
    data.dispose();
  }
}
