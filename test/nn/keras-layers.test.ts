// Reshaping, resampling, normalizing and embedding layers against Keras itself
// (scripts/keras-reference/layers.py): each alone in a model, with Keras's weights, its prediction
// on Keras's batch; and a model of all of them through save and load.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { expectClose, loadKerasReference, refTensor, type RefValue } from '../helpers/reference.js';

const ref = loadKerasReference('layers') as unknown as Record<
  string,
  { class: string; args: Record<string, unknown>; inputShape: number[]; x: RefValue; weights: RefValue[]; y: RefValue }
>;
type LayerClass = new (args: object) => tl.Layer;
const classes = tl.layers as unknown as Record<string, LayerClass>;

describe("layers compute Keras's outputs", () => {
  for (const [name, c] of Object.entries(ref)) {
    it(`${name}: ${c.class}(${JSON.stringify(c.args)})`, async () => {
      const model = tl.sequential([new classes[c.class]({ ...c.args, inputShape: c.inputShape })]);
      model.build();
      model.setWeights(c.weights.map((w) => refTensor(w)));
      expectClose(await model.predictOnBatch(refTensor(c.x)), c.y, { atol: 1e-6, rtol: 1e-5 });
      model.dispose();
    });
  }

  it('a model of them trains, saves and loads, and predicts the same after', async () => {
    const { layers } = tl;
    const model = tl.sequential([
      layers.rescaling({ scale: 1 / 255, inputShape: [8, 8, 3] }),
      layers.zeroPadding2d({
        padding: [
          [1, 0],
          [0, 1],
        ],
      }),
      layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
      layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
      layers.separableConv2d({ filters: 3, kernelSize: 3, activation: 'relu' }),
      layers.upSampling2d({ size: 2, interpolation: 'bilinear' }),
      layers.permute({ dims: [2, 1, 3] }),
      layers.globalMaxPooling2d({ keepdims: true }),
      layers.reshape({ targetShape: [-1] }),
      layers.layerNormalization(),
      layers.dense({ units: 3 }),
      layers.softmax(),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const x = tl.rand([6, 8, 8, 3]).mul(255);
    const y = tl.randint(0, 3, [6]);
    await model.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'torchlet-layers-'));
    await model.save(dir);
    const loaded = await tl.loadModel(dir);
    expect(loaded.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
    expect(Array.from((await loaded.predict(x)).data())).toEqual(Array.from((await model.predict(x)).data()));
  });

  it('an Embedding model learns its vectors from whole-number inputs', async () => {
    const model = tl.sequential([
      tl.layers.embedding({ inputDim: 10, outputDim: 4, inputShape: [5] }),
      tl.layers.conv1d({ filters: 3, kernelSize: 2, padding: 'causal' }),
      tl.layers.flatten(),
      tl.layers.dense({ units: 2, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: new tl.optim.Adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy' });
    const x = tl.randint(0, 10, [64, 5]);
    const y = x.narrow(1, 0, 1).reshape([64]).lt(5).to('int64'); // the first token decides the class
    const before = Array.from(model.getWeights()[0].data());
    const history = await model.fit(x, y, { epochs: 20, batchSize: 16, verbose: 0 });
    expect(Array.from(model.getWeights()[0].data())).not.toEqual(before);
    expect(history.history.loss[19]).toBeLessThan(history.history.loss[0] / 4);
  });

  it('reject bad arguments by name', () => {
    const { layers } = tl;
    expect(() => layers.zeroPadding2d({ padding: [1, 2, 3] as never })).toThrowError(
      /^ZeroPadding2D: padding must be a non-negative integer/,
    );
    expect(() => layers.upSampling2d({ interpolation: 'bicubic' as never })).toThrowError(
      /^UpSampling2D: interpolation must be 'nearest' or 'bilinear', got "bicubic"/,
    );
    expect(() => layers.reshape({ targetShape: [-1, -1] })).toThrowError(
      /^Reshape: targetShape must be an array of positive integers, with at most one -1/,
    );
    expect(() => layers.permute({ dims: [1, 1] })).toThrowError(/^Permute: dims must be a permutation of 1..rank, got \[1,1\]/);
    expect(() => layers.rescaling({ scale: Number.NaN })).toThrowError(/^Rescaling: scale must be a finite number, got NaN/);
    expect(() => layers.softmax({ axis: 0 })).toThrowError(/^Softmax: axis must be a non-zero integer \(0 is the batch\)/);
    expect(() => layers.layerNormalization({ axis: [] })).toThrowError(
      /^LayerNormalization: axis must be a non-zero integer or an array of them/,
    );
    expect(() => layers.embedding({ inputDim: 0, outputDim: 2 })).toThrowError(/^Embedding: inputDim must be a positive integer, got 0/);
    expect(() => tl.sequential([layers.layerNormalization({ axis: 3, inputShape: [4, 2] })]).build()).toThrowError(
      /axis \[3\] does not fit input shape \[4,2\]/,
    );
    expect(() => tl.sequential([layers.reshape({ targetShape: [7], inputShape: [2, 3] })]).build()).toThrowError(
      /cannot reshape \[2,3\] \(6 values\) to \[7\]/,
    );
    expect(() => tl.sequential([layers.permute({ dims: [2, 1], inputShape: [2, 3, 4] })]).build()).toThrowError(
      /expects 2 axes to permute/,
    );
  });
});
