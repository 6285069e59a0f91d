// Functional models against Keras itself (scripts/keras-reference/functional.py): the same graphs
// built with tl.input, layer.apply and tl.model print Keras's summary, character for character
// (layer order, names, shapes, "Connected to"), and with Keras's weights predict what Keras does.
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { expectClose, loadKerasReference, refTensor, type RefValue } from '../helpers/reference.js';

const { layers } = tl;
type Case = { summary: string; params: number; weights: RefValue[]; x: RefValue[]; y: RefValue[] };
const ref = loadKerasReference('functional') as unknown as Record<string, Case>;

// The graphs of the reference script, layer for layer (made in the same order, so named alike).
const models: Record<string, () => tl.Functional> = {
  merges: () => {
    const x = tl.input({ shape: [6, 6, 3] });
    const shared = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' });
    const a = shared.apply(x);
    const b = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
    const c = shared.apply(layers.conv2d({ filters: 3, kernelSize: 1 }).apply(x));
    const s = layers.add([a, b, c]);
    const d = layers.subtract([a, b]);
    const m = layers.multiply([s, d, layers.globalAveragePooling2d({ keepdims: true }).apply(a)]);
    const av = layers.average([m, c]);
    const mn = layers.minimum([layers.maximum([av, a]), b]);
    const rows = new tl.Concatenate({ axis: 1 }); // made first, as Python makes the callee first
    const joined = rows.apply([layers.concatenate([mn, s]), layers.concatenate([s, mn])]);
    return tl.model({
      inputs: x,
      outputs: layers.dense({ units: 3, activation: 'softmax' }).apply(layers.flatten().apply(joined)),
      name: 'merges',
    });
  },
  two_in_two_out: () => {
    const image = tl.input({ shape: [8, 8, 3], name: 'image' });
    const features = tl.input({ shape: [5], name: 'features' });
    const shared = layers.dense({ units: 4, activation: 'tanh' });
    const pooled = layers.globalAveragePooling2d().apply(layers.conv2d({ filters: 5, kernelSize: 3 }).apply(image));
    const [left, right] = [shared.apply(pooled), shared.apply(features)];
    const label = layers.dense({ units: 3, activation: 'softmax', name: 'label' }).apply(layers.concatenate([left, right]));
    const score = layers.dense({ units: 1, name: 'score' }).apply(layers.add([left, right]));
    return tl.model({ inputs: [image, features], outputs: [label, score], name: 'two_in_two_out' });
  },
  resnet20: () => tl.resnet20(),
};

describe('functional models match Keras', () => {
  for (const [name, make] of Object.entries(models)) {
    it(`${name}: the summary, character for character`, () => {
      const model = make();
      const lines: string[] = [];
      model.summary((line) => lines.push(line));
      expect(lines.join('\n')).toBe(ref[name].summary.trimEnd());
      expect(model.countParams()).toBe(ref[name].params);
      model.dispose();
    });
  }

  for (const name of Object.keys(models)) {
    it(`${name}: Keras's predictions with Keras's weights`, async () => {
      const model = make(name);
      model.setWeights(ref[name].weights.map((w) => refTensor(w)));
      const xs = ref[name].x.map((x) => refTensor(x));
      const got = await model.predict(xs.length === 1 ? xs[0] : xs);
      const outputs = Array.isArray(got) ? got : [got];
      expect(outputs.length).toBe(ref[name].y.length);
      outputs.forEach((output, k) => expectClose(output, ref[name].y[k], { atol: 1e-5, rtol: 1e-4 }));
      model.dispose();
    });
  }
});

function make(name: string): tl.Functional {
  return models[name]();
}

describe('a model of two inputs and two outputs trains as Keras trains it', () => {
  const c = loadKerasReference('functional').fit_two_outputs as unknown as {
    start: RefValue[];
    x: RefValue[];
    y: RefValue[];
    history: Record<string, number[]>;
    final: RefValue[];
    evaluation: Record<string, number>;
  };

  it('a loss, a loss weight and metrics per output: the history, the weights after, evaluate', async () => {
    const model = models.two_in_two_out();
    model.setWeights(c.start.map((w) => refTensor(w)));
    model.compile({
      optimizer: new tl.optim.SGD({ learningRate: 0.05, momentum: 0.9 }),
      loss: ['sparseCategoricalCrossentropy', 'mse'],
      lossWeights: [1, 0.5],
      metrics: [['accuracy'], ['mae']],
    });
    const [x, y] = [c.x.map((t) => refTensor(t)), c.y.map((t) => refTensor(t))];
    const history = await model.fit(x, y, { batchSize: 8, epochs: 2, shuffle: false, verbose: 0 });
    expect(Object.keys(history.history).sort()).toEqual(Object.keys(c.history).sort());
    for (const [key, values] of Object.entries(c.history))
      values.forEach((v, k) => expect(Math.abs(history.history[key][k] - v), `${key}[${k}]`).toBeLessThan(1e-5 + 1e-5 * Math.abs(v)));
    model.getWeights().forEach((w, k) => expectClose(w, c.final[k], { atol: 1e-5, rtol: 1e-4 }));
    const evaluation = await model.evaluate(x, y, { batchSize: 8 });
    expect(Object.keys(evaluation).sort()).toEqual(Object.keys(c.evaluation).sort());
    for (const [key, v] of Object.entries(c.evaluation)) expect(Math.abs(evaluation[key] - v), key).toBeLessThan(1e-5 + 1e-5 * Math.abs(v));
    model.dispose();
  });
});
