// Saving and loading: the architecture as JSON (model.json) and the weights as safetensors,
// both written atomically (a temporary file, then a rename). Each save writes its weights under a
// new name (model-<id>.safetensors) and then model.json, which names them: whenever a save is
// killed, model.json and the weights it names belong to one save, the old or the new.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { makeDirectory } from '../io/make-directory.js';
import { removeStaleTemps } from '../io/stale-temps.js';
import { basename, dirname, join, resolve } from 'node:path';
import { tensor } from '../create.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { readSafetensorsFor, writeSafetensorsFor, type StoredTensor } from '../io/safetensors.js';
import { LAYER_CLASSES } from '../nn/index.js';
import type { Layer } from '../nn/layer.js';
import type { Tensor } from '../tensor.js';
import type { OptimizerOptions } from '../native.js';
import type { LossSpec } from './losses.js';
import { makeOptimizer, Sequential, type MetricName } from './sequential.js';
import type { JsInput } from '../js-input.js';
import { describeValue, expectString, ownEntry } from '../arguments.js';

const FORMAT = 'torchlet.Sequential';
const ARCHITECTURE = 'model.json';
// The weights of saves made before model.json named them.
const LEGACY_WEIGHTS = 'model.safetensors';
// What model.json may name: a file in the model's folder, nothing else.
const WEIGHTS_FILE = /^model(-[0-9a-z]+)*\.safetensors$/;

/** What model.json holds. */
interface SavedModel {
  format: typeof FORMAT;
  version: 1;
  name: string;
  inputShape: number[];
  /** The weights file in the same folder (absent in saves made before it was recorded: model.safetensors). */
  weights?: string;
  layers: { className: string; config: Record<string, unknown> }[];
  /** The optimizer by name with its hyper-parameters, the loss and the metrics. */
  compile: {
    optimizer: { name: string; config: OptimizerOptions };
    loss: LossSpec;
    metrics: MetricName[];
    cudaGraph?: boolean;
    mixedPrecision?: 'bf16' | null;
  } | null;
}

// Saves in progress, by folder: saves to one folder run one after the other, so that one's
// clean-up never removes the weights another has just written (concurrent saves from several
// processes into one folder are not supported).
const saving = new Map<string, Promise<void>>();

/** See {@link Sequential.save}. */
export async function saveModel(model: Sequential, dir: string): Promise<void> {
  expectPath('save', 'dir', dir);
  const key = resolve(dir);
  const previous = saving.get(key) ?? Promise.resolve();
  const done = previous.catch(() => {}).then(() => saveNow(model, dir));
  saving.set(key, done);
  try {
    await done;
  } finally {
    if (saving.get(key) === done) saving.delete(key);
  }
}

async function saveNow(model: Sequential, dir: string): Promise<void> {
  model.requireLive('save');
  if (!model.built) model.build();
  const compiled = model.compiled ? model.requireCompiled('save') : null;
  const saved: SavedModel = {
    format: FORMAT,
    version: 1,
    name: model.name,
    inputShape: model.inputShape!,
    layers: model.layers.map((layer) => ({ className: layer.className, config: layer.getConfig() })),
    compile: compiled && {
      optimizer: { name: model.optimizer!.name, config: model.optimizer!.options },
      loss: compiled.args.loss,
      metrics: compiled.args.metrics,
      cudaGraph: compiled.cudaGraph,
      mixedPrecision: compiled.mixedPrecision,
    },
  };
  await makeDirectory(dir, 'save');
  await removeStaleTemps(dir);
  saved.weights = `model-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}.safetensors`;
  await saveWeightsOf(model, join(dir, saved.weights), 'save');
  await writeFileAtomic(join(dir, ARCHITECTURE), [JSON.stringify(saved, null, 2) + '\n'], 'save');
  // Only now are the earlier saves' weights no longer named by model.json (read again: the one on
  // disk is what a load would use).
  const named = basename(await weightsFileIn(dir, 'save'));
  const names = await readdir(dir);
  const unused = names.filter((n) => WEIGHTS_FILE.test(n) && n !== saved.weights && n !== named);
  await Promise.all(unused.map((n) => rm(join(dir, n), { force: true })));
}

// A path argument: a non-empty string without NUL (which fs would reject with a message naming nothing of ours).
function expectPath(api: string, name: string, value: unknown): void {
  if (expectString(api, name, value) === '' || (value as string).includes('\0'))
    throw new TypeError(`${api}: ${name} must be a non-empty path, got ${JSON.stringify(value)}`);
}

// The weights file that model.json in `dir` names (model.safetensors for older saves).
async function weightsFileIn(dir: string, api: string): Promise<string> {
  const text = await readFile(join(dir, ARCHITECTURE), 'utf8').catch(() => null);
  let named: unknown;
  try {
    named = text === null ? undefined : (JSON.parse(text) as { weights?: unknown } | null)?.weights;
  } catch {
    named = undefined; // loadModel says what is wrong with the file; loadWeights only needs the name
  }
  return weightsPath(dir, named, api);
}

// The weights file `named` by a model.json in `dir`, checked to be a model-*.safetensors file there.
function weightsPath(dir: string, named: unknown, api: string): string {
  if (named === undefined) return join(dir, LEGACY_WEIGHTS);
  if (typeof named !== 'string' || !WEIGHTS_FILE.test(named))
    throw new Error(`${api}: ${join(dir, ARCHITECTURE)} names the weights file ${describeValue(named)}, not a model-*.safetensors file`);
  return join(dir, named);
}

/** See {@link Sequential.saveWeights}. */
export async function saveWeightsOf(model: Sequential, path: string, api = 'saveWeights'): Promise<void> {
  expectPath(api, 'path', path);
  await makeDirectory(dirname(path), api);
  await writeSafetensorsFor(api, path, model.namedWeights(), { format: 'torchlet', model: model.name });
}

const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

/** A tensor holding a stored tensor's values. */
export function storedToTensor(stored: StoredTensor): Tensor {
  const Array = ARRAYS[stored.dtype as keyof typeof ARRAYS];
  const aligned = stored.bytes.slice(); // a fresh, aligned buffer
  return tensor(new Array(aligned.buffer), stored.shape, { dtype: stored.dtype });
}

/** See {@link Sequential.loadWeights}. */
export async function loadWeightsInto(model: Sequential, path: string): Promise<void> {
  expectPath('loadWeights', 'path', path);
  const file = (await stat(path).catch(() => null))?.isDirectory() ? await weightsFileIn(path, 'loadWeights') : path;
  const { tensors } = await readSafetensorsFor('loadWeights', file);
  const named = model.namedWeights();
  const problems: string[] = [];
  for (const [name, weight] of named) {
    const stored = tensors.get(name);
    if (!stored) problems.push(`missing '${name}' (shape [${weight.shape}] in the model)`);
    else if (stored.shape.join() !== weight.shape.join())
      problems.push(`'${name}' has shape [${stored.shape}] in the file, [${weight.shape}] in the model`);
    // No silent conversion: int32 bytes relabelled, or float64 weights, are not this model's.
    else if (stored.dtype !== weight.dtype) problems.push(`'${name}' is ${stored.dtype} in the file, ${weight.dtype} in the model`);
  }
  const known = new Set(named.map(([name]) => name));
  const extra = [...tensors.keys()].filter((name) => !known.has(name));
  if (extra.length > 0) problems.push(`the file has weights the model lacks: ${extra.map((n) => `'${n}'`).join(', ')}`);
  if (problems.length > 0) throw new Error(`loadWeights: ${file} does not match the model '${model.name}': ${problems.join('; ')}`);
  for (const [name, weight] of named) {
    const value = storedToTensor(tensors.get(name)!);
    weight.assign(value);
    value.dispose();
  }
}

/** Loads a model saved by {@link Sequential.save}: its layers, weights and compile settings. */
export async function loadModel(dir: string): Promise<Sequential> {
  expectPath('loadModel', 'dir', dir);
  const path = join(dir, ARCHITECTURE);
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`loadModel: cannot read ${path} (${error.code ?? error.message})`);
  });
  // The file may hold anything: it is checked here, and each layer checks its own config.
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`loadModel: ${path} is not JSON`);
  }
  const file = (typeof parsed === 'object' ? parsed : null) as JsInput<SavedModel>;
  if (file?.format !== FORMAT || file.version !== 1 || !Array.isArray(file.layers)) {
    throw new Error(`loadModel: ${path} is not a torchlet model (format '${String(file?.format)}', version ${String(file?.version)})`);
  }
  const saved = file as SavedModel;
  const layers: Layer[] = (saved.layers as unknown[]).map((entry, k) => {
    const { className, config } = (entry ?? {}) as JsInput<SavedModel['layers'][number]> & object;
    // Own keys only: a className such as 'constructor' must not find Object.prototype's members.
    const LayerClass = ownEntry<new (args: never) => Layer>(LAYER_CLASSES, className);
    if (!LayerClass) {
      throw new Error(
        `loadModel: ${path}: layer ${k} has unknown class ${describeValue(className)} (known: ${Object.keys(LAYER_CLASSES).join(', ')})`,
      );
    }
    try {
      return new LayerClass(config as never);
    } catch (error) {
      if (error instanceof Error) error.message = `loadModel: ${path}: layer ${k} (${String(className)}): ${error.message}`;
      throw error;
    }
  });
  const model = new Sequential(layers, { name: saved.name });
  model.build(saved.inputShape);
  await removeStaleTemps(dir);
  await loadWeightsInto(model, weightsPath(dir, saved.weights, 'loadModel'));
  if (saved.compile) {
    const { optimizer, loss, metrics, cudaGraph, mixedPrecision } = saved.compile;
    // compile() and the optimizer check what they are given; a missing optimizer entry is named here.
    const spec = optimizer as JsInput<{ name: string; config: OptimizerOptions }>;
    model.compile({
      optimizer: makeOptimizer(String(spec?.name), spec?.config as OptimizerOptions),
      loss,
      metrics,
      cudaGraph,
      mixedPrecision,
    });
  }
  return model;
}
