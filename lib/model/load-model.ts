// loadModel: a model rebuilt from a folder that Model.save wrote (above the models: it builds
// them): a Sequential's stack, or a Functional's graph replayed call by call.
import { describeValue, ownEntry } from '../arguments.js';
import type { JsInput } from '../js-input.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import { LAYER_CLASSES } from '../nn/index.js';
import type { Layer } from '../nn/layer.js';
import type { Tensor } from '../tensor.js';
import { makeOptimizer } from '../optim/registry.js';
import { isKerasFile } from './keras-file.js';
import { loadKerasFile } from './keras-load.js';
import type { Functional } from './functional.js';
import { replayGraph } from './replay-graph.js';
import type { Model } from './model.js';
import { loadWeightsFile, readModelFolder, type SavedModel } from './model-file.js';
import { Sequential } from './sequential.js';

/** What loadModel gives: a model of several outputs is a Functional. */
export type Loaded<Output extends Tensor | Tensor[]> = Output extends Tensor ? Sequential | Functional<Tensor> : Functional<Output>;

/**
 * Loads a model saved by {@link Model.save}: its layers, weights and compile settings. A functional
 * model of several outputs predicts an array: load it as `loadModel<Tensor[]>(dir)`. A path ending
 * in `.keras` is read as a Keras 3 file (uncompiled; see keras-load.ts).
 */
export async function loadModel<Output extends Tensor | Tensor[] = Tensor>(dir: string): Promise<Loaded<Output>> {
  if (isKerasFile(dir)) return (await loadKerasFile(dir)) as Loaded<Output>;
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
      ? replayGraph(saved, layers, (what) => new Error(`loadModel: ${path}: ${what}`))
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
