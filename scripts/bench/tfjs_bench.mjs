// The TensorFlow.js side of the benchmark (--tfjs): the pure-JS peer on its CPU backend. It
// builds the model from torchlet's model.json with tf.layers (Keras's names, NHWC, kernels
// transposed from torchlet's layout) and loads the same initial weights. It speaks the same
// protocol as torchlet_bench.mjs. tfjs is very slow, so a pass is at most 3 steps.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readSafetensors } from '../../dist/io/safetensors.js';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string' },
    task: { type: 'string' },
    'batch-size': { type: 'string' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    threads: { type: 'string' },
    device: { type: 'string' },
  },
});
let tf;
try {
  tf = await import('@tensorflow/tfjs');
} catch {
  console.error('tfjs_bench: @tensorflow/tfjs is not installed (npm i --no-save @tensorflow/tfjs)');
  process.exit(1);
}
await tf.setBackend('cpu');
const batchSize = Number(a['batch-size']);
const steps = Math.min(Number(a.steps), 3);

const saved = JSON.parse(await readFile(a.model, 'utf8'));
const { tensors } = await readSafetensors(join(dirname(a.model), saved.weights));
const weight = (name, perm) => {
  const t = tensors.get(name);
  const value = tf.tensor(new Float32Array(t.bytes.slice().buffer), t.shape);
  return perm ? value.transpose(perm) : value;
};
const model = tf.sequential();
saved.layers.forEach(({ className, config: c }, k) => {
  const input = k === 0 ? { inputShape: saved.inputShape } : {};
  const activation = c.activation === 'linear' ? undefined : c.activation;
  const make = {
    Conv2D: () =>
      tf.layers.conv2d({
        ...input,
        filters: c.filters,
        kernelSize: c.kernelSize,
        strides: c.strides,
        padding: c.padding,
        dilationRate: c.dilationRate,
        activation,
        useBias: c.useBias,
      }),
    MaxPooling2D: () => tf.layers.maxPooling2d({ ...input, poolSize: c.poolSize, strides: c.strides, padding: c.padding }),
    AveragePooling2D: () => tf.layers.averagePooling2d({ ...input, poolSize: c.poolSize, strides: c.strides, padding: c.padding }),
    GlobalAveragePooling2D: () => tf.layers.globalAveragePooling2d({ ...input }),
    Flatten: () => tf.layers.flatten({ ...input }),
    Dense: () => tf.layers.dense({ ...input, units: c.units, activation, useBias: c.useBias }),
    BatchNormalization: () => tf.layers.batchNormalization({ ...input, momentum: c.momentum, epsilon: c.epsilon }),
    Activation: () => tf.layers.activation({ ...input, activation: c.activation }),
  }[className];
  if (!make) throw new Error(`tfjs_bench: layer ${className} is not supported`);
  const layer = make();
  model.add(layer);
  const n = c.name;
  if (className === 'Conv2D') layer.setWeights([weight(`${n}/kernel`, [2, 3, 1, 0]), ...(c.useBias ? [weight(`${n}/bias`)] : [])]);
  if (className === 'Dense') layer.setWeights([weight(`${n}/kernel`, [1, 0]), ...(c.useBias ? [weight(`${n}/bias`)] : [])]);
  if (className === 'BatchNormalization')
    layer.setWeights(['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => weight(`${n}/${w}`)));
});
model.compile({ optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'sparseCategoricalCrossentropy' });
const [h, w, c] = saved.inputShape;
const images = tf.randomUniform([steps * batchSize, h, w, c], 0, 256, 'int32');
const labels = tf.randomUniform([steps * batchSize], 0, 10, 'int32').cast('float32');
const step = async (i) => {
  const [x, y] = tf.tidy(() => [
    images
      .slice(i * batchSize, batchSize)
      .cast('float32')
      .div(255),
    labels.slice(i * batchSize, batchSize),
  ]);
  if (a.task === 'train') await model.trainOnBatch(x, y);
  else tf.tidy(() => model.predict(x).dataSync());
  tf.dispose([x, y]);
};
await step(0);
const reply = (value) => process.stdout.write(JSON.stringify(value) + '\n');
reply({ ready: true, torchVersion: `tfjs ${tf.version.tfjs}`, threads: 1, device: 'cpu' });
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'run') break;
  const start = performance.now();
  for (let i = 0; i < steps; i++) await step(i);
  reply({ msPerStep: (performance.now() - start) / steps });
}
reply({ peakMemory: process.resourceUsage().maxRSS * 1024 });
