// loadModel: a model rebuilt from a folder that Model.save wrote (above the models: it builds
// them): a Sequential's stack, or a Functional's graph replayed call by call.
import { describeValue, ownEntry } from '../arguments.js';
import type { JsInput } from '../js-input.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import { LAYER_CLASSES } from '../nn/index.js';
import { InputLayer } from '../nn/input-layer.js';
import type { Layer } from '../nn/layer.js';
import type { SymbolicTensor } from '../nn/symbolic.js';
import type { Tensor } from '../tensor.js';
import { makeOptimizer } from '../optim/registry.js';
import { Functional } from './functional.js';
import type { Model } from './model.js';
import { loadWeightsFile, readModelFolder, type SavedModel } from './model-file.js';
import { Sequential } from './sequential.js';

/** What loadModel gives: a model of several outputs is a Functional. */
export type Loaded<Output extends Tensor | Tensor[]> = Output extends Tensor ? Sequential | Functional<Tensor> : Functional<Output>;

/**
 * Loads a model saved by {@link Model.save}: its layers, weights and compile settings. A functional
 * model of several outputs predicts an array: load it as `loadModel<Tensor[]>(dir)`.
 */
export async function loadModel<Output extends Tensor | Tensor[] = Tensor>(dir: string): Promise<Loaded<Output>> {
  const { saved, path, weightsPath } = await readModelFolder(dir);
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
  const model =
    saved.className === 'Functional'
      ? (replayGraph(saved, layers, path) as Functional<Output>)
      : new Sequential(layers, { name: saved.name });
  model.build(saved.className === 'Functional' ? undefined : saved.inputShape);
  await loadWeightsFile(weightsPath, model.namedWeights(), model.name);
  if (saved.compile) compileAsSaved(model, saved.compile);
  return model as Loaded<Output>;
}

function compileAsSaved(model: Model<Tensor | Tensor[]>, saved: NonNullable<SavedModel['compile']>): void {
  const { optimizer, loss, lossWeights, metrics, cudaGraph, mixedPrecision } = saved;
  // compile() and the optimizer check what they are given; a missing optimizer entry is named here.
  const spec = optimizer as JsInput<{ name: string; config: OptimizerConfig }>;
  model.compile({
    optimizer: makeOptimizer(String(spec?.name), spec?.config as OptimizerConfig),
    loss,
    lossWeights,
    metrics,
    cudaGraph,
    mixedPrecision,
  });
}

// A Functional from its saved graph: each layer's calls are replayed once the calls they read
// have been (a layer shared at several depths may wait for a later one's), then the model is made
// from the saved inputs and outputs.
function replayGraph(saved: SavedModel, layers: Layer[], path: string): Functional {
  const fail = (what: string) => new Error(`loadModel: ${path}: ${what}`);
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  if (byName.size !== layers.length || layers.some((layer) => layer.name === undefined))
    throw fail('every layer of a functional model needs a name of its own');
  const outputs = new Map<string, SymbolicTensor>(); // by `${name}/${call}`
  const key = (ref: unknown): string => {
    if (!Array.isArray(ref) || ref.length !== 2 || typeof ref[0] !== 'string' || !Number.isSafeInteger(ref[1]))
      throw fail(`a call's reference must be [layer name, call index], got ${describeValue(ref)}`);
    if (!byName.has(ref[0])) throw fail(`a call reads the layer '${ref[0]}', which the model does not have`);
    return `${ref[0]}/${ref[1]}`;
  };
  const pending: { layer: Layer; inputs: string[] }[] = [];
  (saved.layers as unknown[]).forEach((entry, k) => {
    const layer = layers[k];
    if (layer instanceof InputLayer) {
      outputs.set(`${layer.name}/0`, layer.output());
      return;
    }
    const calls: unknown = (entry as { inboundNodes?: unknown }).inboundNodes;
    if (!Array.isArray(calls)) throw fail(`layer '${layer.name}' has no list of calls (inboundNodes)`);
    for (const call of calls as unknown[]) {
      if (!Array.isArray(call) || call.length === 0) throw fail(`layer '${layer.name}' has a call that reads nothing`);
      if (!layer.takesList && call.length !== 1)
        throw fail(`layer '${layer.name}' (${layer.className}) takes one input, but a call reads ${call.length}`);
      pending.push({ layer, inputs: (call as unknown[]).map(key) });
    }
  });
  while (pending.length > 0) {
    // A layer's calls in their saved order, so that each gets its saved index.
    const ready = pending.findIndex(
      (call) => call.inputs.every((name) => outputs.has(name)) && pending.find(({ layer }) => layer === call.layer) === call,
    );
    if (ready < 0) throw fail(`the calls of ${pending.map(({ layer }) => `'${layer.name}'`).join(', ')} read outputs that no call makes`);
    const [{ layer, inputs }] = pending.splice(ready, 1);
    const args = inputs.map((name) => outputs.get(name)!);
    outputs.set(`${layer.name}/${layer.nodes.length}`, layer.apply(layer.takesList ? args : args[0]));
  }
  const refs = (list: unknown, what: string): SymbolicTensor[] => {
    if (!Array.isArray(list) || list.length === 0) throw fail(`${what} must be a non-empty list of [layer name, call index]`);
    return (list as unknown[]).map((ref) => {
      const found = outputs.get(key(ref));
      if (!found) throw fail(`${what} names ${describeValue(ref)}, which no call makes`);
      return found;
    });
  };
  return new Functional({
    name: saved.name,
    inputs: refs(saved.inputLayers, 'inputLayers'),
    outputs: refs(saved.outputLayers, 'outputLayers'),
  });
}
