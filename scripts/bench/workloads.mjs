// The benchmark's models, described once with torchlet's layers. The PyTorch side builds its
// model from the model.json that torchlet writes for these (scripts/bench/pytorch_bench.py).
import * as tl from '../../dist/index.js';

const { layers } = tl;

// airbench94's shape: a 2x2 whitening conv, three conv groups (conv, pool, BN, GELU, conv, BN,
// GELU) of 64, 256 and 256 channels, a final max-pool and a linear head.
function airbench() {
  const group = (filters) => [
    layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.batchNormalization(),
    layers.activation({ activation: 'gelu' }),
    layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false }),
    layers.batchNormalization(),
    layers.activation({ activation: 'gelu' }),
  ];
  return tl.sequential([
    layers.conv2d({ filters: 24, kernelSize: 2, activation: 'gelu', inputShape: [32, 32, 3] }),
    ...group(64),
    ...group(256),
    ...group(256),
    layers.maxPooling2d({ poolSize: 3 }),
    layers.flatten(),
    layers.dense({ units: 10, useBias: false, activation: 'softmax' }),
  ]);
}

/** Workloads by name: the model, and whether the timed step trains or predicts. */
export const WORKLOADS = {
  'seed-cnn': { model: tl.referenceCnn, task: 'train', description: 'reference CNN, training step (forward, loss, backward, Adam)' },
  inference: { model: tl.referenceCnn, task: 'inference', description: 'reference CNN, prediction' },
  airbench: { model: airbench, task: 'train', description: 'airbench94-shaped BatchNorm/GELU network, training step' },
};
