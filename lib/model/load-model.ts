// loadModel: a Sequential rebuilt from a folder that Sequential.save wrote (above the model: it
// builds one).
import { describeValue, ownEntry } from '../arguments.js';
import type { JsInput } from '../js-input.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import { LAYER_CLASSES } from '../nn/index.js';
import type { Layer } from '../nn/layer.js';
import { makeOptimizer } from '../optim/registry.js';
import { isKerasFile } from './keras-file.js';
import { loadKerasFile } from './keras-load.js';
import { loadWeightsFile, readModelFolder, type SavedModel } from './model-file.js';
import { Sequential } from './sequential.js';

/**
 * Loads a model saved by {@link Sequential.save}: its layers, weights and compile settings. A path
 * ending in `.keras` is read as a Keras 3 file (uncompiled; see keras-load.ts).
 */
export async function loadModel(dir: string): Promise<Sequential> {
  if (isKerasFile(dir)) return loadKerasFile(dir);
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
  const model = new Sequential(layers, { name: saved.name });
  model.build(saved.inputShape);
  await loadWeightsFile(weightsPath, model.namedWeights(), model.name);
  if (saved.compile) {
    const { optimizer, loss, metrics, cudaGraph, mixedPrecision } = saved.compile;
    // compile() and the optimizer check what they are given; a missing optimizer entry is named here.
    const spec = optimizer as JsInput<{ name: string; config: OptimizerConfig }>;
    model.compile({
      optimizer: makeOptimizer(String(spec?.name), spec?.config as OptimizerConfig),
      loss,
      metrics,
      cudaGraph,
      mixedPrecision,
    });
  }
  return model;
}
