// loadModel for `.keras` files (keras-file.ts): a Sequential rebuilt from Keras's config (its
// layers, after an optional InputLayer that gives the input shape) and its HDF5 weights, converted
// to torchlet's layouts by the per-layer table (keras-layers.ts). The model comes back uncompiled.
import { describeValue } from '../arguments.js';
import { tensor } from '../create.js';
import { readKerasArchive, type KerasArchive, type KerasArray } from '../io/keras-archive.js';
import { tidy } from '../memory.js';
import type { Shape } from '../nn/layer.js';
import type { Tensor } from '../tensor.js';
import { weightGroups } from './keras-file.js';
import { argsFromKeras, kerasLayerEntry, KERAS_LAYERS, weightLayout, type KerasLayerEntry } from './keras-layers.js';
import { expectPath } from './model-file.js';
import { Sequential } from './sequential.js';
import type { Functional } from './functional.js';
import { InputLayer } from '../nn/input-layer.js';
import type { Layer } from '../nn/layer.js';
import type { Model } from './model.js';
import { replayGraph } from './replay-graph.js';

type Json = Record<string, unknown>;
const quoted = (value: unknown): string => (typeof value === 'string' ? `'${value}'` : describeValue(value));
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

// Model classes by Keras class name.
const MODEL_READERS: Record<string, (archive: KerasArchive, path: string) => Sequential | Functional<Tensor>> = {
  Sequential: readSequential,
  Functional: readFunctional,
};

/** Loads a Keras 3 `.keras` file as a torchlet model (uncompiled); every problem is an Error naming the file. */
export async function loadKerasFile(path: string): Promise<Sequential | Functional<Tensor>> {
  expectPath('loadModel', 'path', path);
  const archive = await readKerasArchive('loadModel', path);
  const className = isObject(archive.config) ? archive.config.class_name : undefined;
  const reader = typeof className === 'string' && Object.hasOwn(MODEL_READERS, className) ? MODEL_READERS[className] : undefined;
  if (!reader)
    throw new Error(
      `loadModel: ${path}: the model class ${quoted(className)} is not supported (torchlet loads: ${Object.keys(MODEL_READERS).join(', ')})`,
    );
  return reader(archive, path);
}

function readSequential(archive: KerasArchive, path: string): Sequential {
  const fail = (what: string): never => {
    throw new Error(`loadModel: ${path}: ${what}`);
  };
  const top = archive.config as Json;
  const config = isObject(top.config) ? top.config : fail('config.json has no model config');
  const entries = Array.isArray(config.layers) ? (config.layers as unknown[]) : fail('config.json has no list of layers');
  const first = entries[0] as Json | undefined;
  const input = first?.class_name === 'InputLayer' && isObject(first.config) ? first.config : null;
  const inputShape =
    shapeWithoutBatch(input?.batch_shape ?? input?.batch_input_shape) ??
    shapeWithoutBatch(config.build_input_shape) ??
    shapeWithoutBatch((top.build_config as Json | null)?.input_shape) ??
    fail('the input shape is unknown (no InputLayer with a batch_shape, build_input_shape or build_config)');
  const layers = entries
    .slice(input ? 1 : 0)
    .map((entry, index) => makeLayer(entry, index + (input ? 1 : 0), path, index === 0 ? { inputShape } : {}));
  if (layers.length === 0) fail('the model has no layers');
  const name = typeof config.name === 'string' ? config.name : 'sequential';
  let model: Sequential | undefined;
  try {
    model = new Sequential(layers, { name }); // two layers of one name are refused here
    model.build();
  } catch (error) {
    if (model) model.dispose();
    else layers.forEach((layer) => layer.dispose());
    if (error instanceof Error) error.message = `loadModel: ${path}: ${error.message}`;
    throw error;
  }
  try {
    loadWeights(archive, path, model);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

// Layer `k` of config.json, made from its entry in the table (`extra` arguments added).
function makeLayer(entry: unknown, k: number, path: string, extra: Record<string, unknown>): Layer {
  const fail = (what: string): never => {
    throw new Error(`loadModel: ${path}: ${what}`);
  };
  const layer = isObject(entry) ? entry : fail(`layer ${k} of config.json is ${describeValue(entry)}, not a layer`);
  const layerConfig = isObject(layer.config) ? layer.config : {};
  const className = typeof layer.class_name === 'string' ? layer.class_name : describeValue(layer.class_name);
  const where = `layer ${k} ${quoted(layerConfig.name)} (${className})`;
  const table = kerasLayerEntry(layer.class_name);
  if (!table)
    return fail(
      `${where}: the layer class ${quoted(layer.class_name)} is not supported (torchlet loads: ${Object.keys(KERAS_LAYERS).join(', ')})`,
    );
  try {
    return table.create({ ...argsFromKeras(table, layerConfig, where), ...extra });
  } catch (error) {
    if (error instanceof Error && !error.message.startsWith(where)) error.message = `${where}: ${error.message}`;
    if (error instanceof Error) error.message = `loadModel: ${path}: ${error.message}`;
    throw error;
  }
}

// A Functional from Keras's config: its layers (InputLayers from their batch_shape, the others from
// the table), then their calls (inbound_nodes, whose tensors name their makers by keras_history)
// replayed as a saved graph, then its weights.
function readFunctional(archive: KerasArchive, path: string): Functional<Tensor> {
  const fail = (what: string): Error => new Error(`loadModel: ${path}: ${what}`);
  const top = archive.config as Json;
  const config = isObject(top.config) ? top.config : null;
  if (!config || !Array.isArray(config.layers)) throw fail('config.json has no list of layers');
  const entries = config.layers as unknown[];
  const layers: Layer[] = [];
  let model: Functional<Tensor> | undefined;
  try {
    entries.forEach((entry, k) => {
      const layer = isObject(entry) ? entry : {};
      if (layer.class_name !== 'InputLayer') return layers.push(makeLayer(entry, k, path, {}));
      const layerConfig = isObject(layer.config) ? layer.config : {};
      const shape = shapeWithoutBatch(layerConfig.batch_shape ?? layerConfig.batch_input_shape);
      if (!shape) throw fail(`layer ${k} ${quoted(layerConfig.name)} (InputLayer) has no batch_shape`);
      layers.push(new InputLayer({ name: layerConfig.name as string, shape }));
    });
    // Keras's graph as torchlet's saved one: each call's inputs as [layer name, call index].
    const ref = (tensor: unknown): [unknown, unknown] => {
      const history = isObject(tensor) && isObject(tensor.config) ? tensor.config.keras_history : undefined;
      if (!Array.isArray(history) || history.length !== 3 || history[2] !== 0)
        throw fail(`a call's input ${describeValue(tensor)} is not a Keras tensor of one layer's single output`);
      return [history[0], history[1]];
    };
    const graph = entries.map((entry) => {
      const nodes = isObject(entry) && Array.isArray(entry.inbound_nodes) ? (entry.inbound_nodes as unknown[]) : [];
      return {
        inboundNodes: nodes.map((node) => {
          const args = isObject(node) && Array.isArray(node.args) ? (node.args as unknown[]) : [];
          if (args.length !== 1)
            throw fail(`a call of layer ${quoted((entry as Json).name)} has ${args.length} arguments; torchlet's layers take one`);
          return (Array.isArray(args[0]) ? (args[0] as unknown[]) : [args[0]]).map(ref);
        }),
      };
    });
    // Keras's [name, call, tensor] triples (one, or a list) as [name, call].
    const pair = (triple: unknown): unknown => (Array.isArray(triple) ? (triple as unknown[]).slice(0, 2) : triple);
    const refs = (list: unknown): unknown =>
      Array.isArray(list) && typeof list[0] !== 'string' ? (list as unknown[]).map(pair) : pair(list);
    const name = typeof config.name === 'string' ? config.name : 'functional';
    model = replayGraph(
      { name, layers: graph, inputLayers: refs(config.input_layers), outputLayers: refs(config.output_layers) },
      layers,
      fail,
    ) as Functional<Tensor>;
    model.build();
    loadWeights(archive, path, model);
    return model;
  } catch (error) {
    if (model) model.dispose();
    else layers.forEach((layer) => layer.dispose());
    if (error instanceof Error && !error.message.startsWith('loadModel: ')) error.message = `loadModel: ${path}: ${error.message}`;
    throw error;
  }
}

// [null, 32, 32, 3] → [32, 32, 3]; anything else → undefined.
function shapeWithoutBatch(shape: unknown): Shape | undefined {
  if (!Array.isArray(shape) || shape.length < 2) return undefined;
  const dims = shape.slice(1) as unknown[];
  return dims.every((d) => Number.isSafeInteger(d) && (d as number) > 0) ? (dims as Shape) : undefined;
}

// Copies the file's weights into the model's, each converted to torchlet's layout; every dataset
// is checked (present, shaped as Keras shapes this layer's weight, no extra ones) before any copy.
function loadWeights(archive: KerasArchive, path: string, model: Model<Tensor | Tensor[]>): void {
  const groups = weightGroups(model.layers.map((layer) => layer.className));
  const problems: string[] = [];
  const copies: [Tensor, KerasArray, KerasLayerEntry, string][] = [];
  model.layers.forEach((layer, k) => {
    const entry = kerasLayerEntry(layer.className);
    if (!entry) return; // an InputLayer: no weights
    const config = layer.getConfig();
    const vars = `${groups[k]}/${entry.variables ?? 'vars'}`;
    layer.weights.forEach((weight, i) => {
      const stored = archive.arrays.get(`${vars}/${i}`);
      const expected = tidy(() => weightLayout(entry, weight.name).toKeras(weight.tensor, config).shape);
      if (!stored) problems.push(`missing ${vars}/${i} (${layer.name}'s ${weight.name}, shape [${expected}])`);
      else if (stored.shape.join() !== expected.join())
        problems.push(`${vars}/${i} (${layer.name}'s ${weight.name}) has shape [${stored.shape}], expected [${expected}]`);
      else copies.push([weight.tensor, stored, entry, weight.name]);
    });
    const extra = [...archive.arrays.keys()].filter(
      (key) => key.startsWith(`${vars}/`) && Number(key.slice(vars.length + 1)) >= layer.weights.length,
    );
    if (extra.length > 0) problems.push(`${layer.name} has ${layer.weights.length} weights, the file more: ${extra.join(', ')}`);
  });
  if (problems.length > 0)
    throw new Error(`loadModel: ${path}: the weights in model.weights.h5 do not fit the model: ${problems.join('; ')}`);
  for (const [weight, stored, entry, name] of copies) {
    tidy(() => {
      weight.assign(weightLayout(entry, name).fromKeras(tensor(stored.values, stored.shape)).to(weight.device));
    });
  }
}
