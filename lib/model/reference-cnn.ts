// The reference model of the Keras CIFAR-10 tutorial (DESIGN.md), used by the main job, the
// benchmark and the tests.
import { layers } from '../nn/index.js';
import { sequential, type Sequential } from './sequential.js';

/**
 * Three conv (3x3, relu) + max-pool blocks of 32, 64 and 128 filters, a dense layer of 512 (relu)
 * and a 10-way softmax, for [32, 32, 3] images: 361,034 parameters. Not compiled.
 */
export function referenceCnn(): Sequential {
  return sequential([
    layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [32, 32, 3] }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 128, kernelSize: 3, activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 512, activation: 'relu' }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ]);
}
