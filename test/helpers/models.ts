// Models and settings shared by the model tests.
import { afterAll, beforeAll } from 'vitest';
import * as tl from '../../lib/index.js';

/** A small compiled classifier: 4 features → 3 classes. */
export function tinyClassifier(seed = 0): tl.Sequential {
  tl.manualSeed(seed);
  const model = tl.sequential([
    tl.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }),
    tl.layers.dense({ units: 3, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/**
 * Runs the enclosing describe() on one thread, as the PyTorch references are made: the order of
 * float sums in conv and matmul depends on the thread count, and over many Adam steps that alone
 * moves PyTorch's own weights by up to ~1e-3 relative.
 */
export function useOneThread(): void {
  let threads = 0;
  beforeAll(() => {
    threads = tl.getNumThreads();
    tl.setNumThreads(1);
  });
  afterAll(() => tl.setNumThreads(threads));
}
