// A model on disk, below the model itself: the architecture as JSON (model.json) and the weights
// as safetensors, both written atomically (a temporary file, then a rename). Each save writes its
// weights under a new name (model-<id>.safetensors) and then model.json, which names them: whenever
// a save is killed, model.json and the weights it names belong to one save, the old or the new.
// Sequential describes itself (a SavedModel) and hands over its named weights; loadModel
// (load-model.ts) builds a model from what is read here.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { describeValue, expectString } from '../arguments.js';
import { tensor } from '../create.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { makeDirectory } from '../io/make-directory.js';
import { readSafetensorsFor, writeSafetensorsFor, type StoredTensor } from '../io/safetensors.js';
import { removeStaleTemps } from '../io/stale-temps.js';
import type { JsInput } from '../js-input.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import type { Tensor } from '../tensor.js';
import type { CompileArgs } from './compiled.js';

const FORMAT = 'torchlet.Sequential';
const ARCHITECTURE = 'model.json';
// The weights of saves made before model.json named them.
const LEGACY_WEIGHTS = 'model.safetensors';
// What model.json may name: a file in the model's folder, nothing else.
const WEIGHTS_FILE = /^model(-[0-9a-z]+)*\.safetensors$/;

/** What model.json holds. */
export interface SavedModel {
  format: typeof FORMAT;
  version: 1;
  name: string;
  /** 'Functional' for a graph (then `inputShape` is absent and the graph fields are present); absent for a Sequential. */
  className?: 'Functional';
  /** A Sequential's per-example input shape. */
  inputShape?: number[];
  /** The weights file in the same folder (absent in saves made before it was recorded: model.safetensors). */
  weights?: string;
  /** A Functional's layers each list their calls: for each, the [layer name, call index] of what it reads. */
  layers: { className: string; config: Record<string, unknown>; inboundNodes?: [string, number][][] }[];
  /** A Functional's inputs and outputs, as [layer name, call index]: one for a model given one tensor, else a list. */
  inputLayers?: [string, number] | [string, number][];
  outputLayers?: [string, number] | [string, number][];
  /** The optimizer by name with its hyper-parameters, the loss and the metrics. */
  compile: {
    optimizer: { name: string; config: OptimizerConfig };
    loss: CompileArgs['loss'];
    lossWeights?: CompileArgs['lossWeights'];
    metrics: NonNullable<CompileArgs['metrics']>;
    cudaGraph?: boolean;
    mixedPrecision?: 'bf16' | null;
  } | null;
}

/** A model's description and weights, as a save takes them when its turn comes. */
export interface ModelSnapshot {
  architecture: Omit<SavedModel, 'format' | 'version' | 'weights'>;
  weights: [string, Tensor][];
}

// Saves in progress, by folder: saves to one folder run one after the other, so that one's
// clean-up never removes the weights another has just written (concurrent saves from several
// processes into one folder are not supported).
const saving = new Map<string, Promise<void>>();

/** Writes the model that `snapshot` describes into folder `dir`, once the earlier saves to it have ended. */
export async function saveModelFolder(dir: string, snapshot: () => ModelSnapshot): Promise<void> {
  expectPath('save', 'dir', dir);
  const key = resolve(dir);
  const previous = saving.get(key) ?? Promise.resolve();
  const done = previous.catch(() => {}).then(() => saveNow(dir, snapshot()));
  saving.set(key, done);
  try {
    await done;
  } finally {
    if (saving.get(key) === done) saving.delete(key);
  }
}

async function saveNow(dir: string, { architecture, weights }: ModelSnapshot): Promise<void> {
  await makeDirectory(dir, 'save');
  await removeStaleTemps(dir);
  const saved: SavedModel = { format: FORMAT, version: 1, ...architecture };
  saved.weights = `model-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}.safetensors`;
  await saveWeightsFile(join(dir, saved.weights), weights, saved.name, 'save');
  await writeFileAtomic(join(dir, ARCHITECTURE), [JSON.stringify(saved, null, 2) + '\n'], 'save');
  // Only now are the earlier saves' weights no longer named by model.json (read again: the one on
  // disk is what a load would use).
  const named = basename(await weightsFileIn(dir, 'save'));
  const names = await readdir(dir);
  const unused = names.filter((n) => WEIGHTS_FILE.test(n) && n !== saved.weights && n !== named);
  await Promise.all(unused.map((n) => rm(join(dir, n), { force: true })));
}

/** A path argument: a non-empty string without NUL (which fs would reject with a message naming nothing of ours). */
export function expectPath(api: string, name: string, value: unknown): void {
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

/** Writes named weights to a safetensors file (see {@link Sequential.saveWeights}). */
export async function saveWeightsFile(path: string, weights: [string, Tensor][], modelName: string, api = 'saveWeights'): Promise<void> {
  expectPath(api, 'path', path);
  await makeDirectory(dirname(path), api);
  await writeSafetensorsFor(api, path, weights, { format: 'torchlet', model: modelName });
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

/**
 * Copies the weights stored at `path` (a safetensors file, or a model folder) into `weights`, in
 * place; every name, shape and dtype is checked first, so that a mismatch changes nothing.
 */
export async function loadWeightsFile(path: string, weights: [string, Tensor][], modelName: string, api = 'loadWeights'): Promise<void> {
  expectPath(api, 'path', path);
  const file = (await stat(path).catch(() => null))?.isDirectory() ? await weightsFileIn(path, api) : path;
  const { tensors } = await readSafetensorsFor(api, file);
  const problems: string[] = [];
  for (const [name, weight] of weights) {
    const stored = tensors.get(name);
    if (!stored) problems.push(`missing '${name}' (shape [${weight.shape}] in the model)`);
    else if (stored.shape.join() !== weight.shape.join())
      problems.push(`'${name}' has shape [${stored.shape}] in the file, [${weight.shape}] in the model`);
    // No silent conversion: int32 bytes relabelled, or float64 weights, are not this model's.
    else if (stored.dtype !== weight.dtype) problems.push(`'${name}' is ${stored.dtype} in the file, ${weight.dtype} in the model`);
  }
  const known = new Set(weights.map(([name]) => name));
  const extra = [...tensors.keys()].filter((name) => !known.has(name));
  if (extra.length > 0) problems.push(`the file has weights the model lacks: ${extra.map((n) => `'${n}'`).join(', ')}`);
  if (problems.length > 0) throw new Error(`loadWeights: ${file} does not match the model '${modelName}': ${problems.join('; ')}`);
  for (const [name, weight] of weights) {
    const value = storedToTensor(tensors.get(name)!);
    weight.assign(value);
    value.dispose();
  }
}

/** The model.json in `dir`, checked to be a torchlet model (each layer checks its own config), and the path of its weights. */
export async function readModelFolder(dir: string): Promise<{ saved: SavedModel; path: string; weightsPath: string }> {
  expectPath('loadModel', 'dir', dir);
  const path = join(dir, ARCHITECTURE);
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`loadModel: cannot read ${path} (${error.code ?? error.message})`);
  });
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
  await removeStaleTemps(dir);
  return { saved, path, weightsPath: weightsPath(dir, saved.weights, 'loadModel') };
}
