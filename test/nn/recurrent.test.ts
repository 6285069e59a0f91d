// LSTM and GRU: ops.lstm and ops.gru against torch.nn.LSTM and torch.nn.GRU given the same
// Keras-layout weights (scripts/reference/recurrent.py), forward and gradients; the layers'
// arguments, weights and training. Their outputs against Keras itself are in keras-layers.test.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { DEVICES, tolerance } from '../helpers/devices.js';
import { expectClose, loadReference, refTensor, type RefValue } from '../helpers/reference.js';

const { layers, ops } = tl;
type Inputs = Record<string, tl.Tensor>;
const reference = loadReference('recurrent') as Record<string, Record<string, Record<string, RefValue>>>;

// The layers' step-by-step path (their protected recur, which takes the weights as arguments).
function stepByStep(layer: tl.Layer, { x, kernel, recurrent, bias }: Inputs): tl.Tensor {
  const cell = layer as unknown as { recur: (x: tl.Tensor, k: tl.Tensor, r: tl.Tensor, b: tl.Tensor) => tl.Tensor };
  return cell.recur(x, kernel, recurrent, bias);
}

const cases: Record<string, (i: Inputs) => tl.Tensor> = {
  lstm: ({ x, kernel, recurrent, bias }) => ops.lstm(x, kernel, recurrent, bias),
  lstm_nobias_batch1: ({ x, kernel, recurrent }) => ops.lstm(x, kernel, recurrent),
  gru: ({ x, kernel, recurrent, bias }) => ops.gru(x, kernel, recurrent, bias),
  gru_nobias_batch1: ({ x, kernel, recurrent }) => ops.gru(x, kernel, recurrent),
  lstm_relu_steps: (i) => stepByStep(layers.lstm({ units: 4, activation: 'relu', returnSequences: true }), i),
  gru_reset_before_steps: (i) => stepByStep(layers.gru({ units: 4, resetAfter: false, returnSequences: true }), i),
};

describe('ops.lstm, ops.gru and the step-by-step cells: forward and gradients match PyTorch', () => {
  it('covers every reference case', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(reference).sort());
  });

  describe.each(DEVICES)('on %s', (device) => {
    for (const [name, compute] of Object.entries(cases)) {
      it(name, () => {
        const ref = reference[name];
        // cuDNN's recurrent kernels use TF32 matmuls on Ampere and later, as its convolutions.
        const tol = tolerance(device, true);
        const inputs: Inputs = {};
        for (const [key, value] of Object.entries(ref.inputs)) inputs[key] = refTensor(value, { device }).setRequiresGrad();
        const output = compute(inputs);
        expectClose(output, ref.output, tol);
        output.backward(refTensor(ref.upstream, { device }));
        for (const key of Object.keys(ref.grads)) expectClose(inputs[key].grad!, ref.grads[key], tol);
      });
    }
  });

  it('run without autograd too (inference)', () => {
    const ref = reference.lstm;
    const [x, kernel, recurrent, bias] = ['x', 'kernel', 'recurrent', 'bias'].map((k) => refTensor(ref.inputs[k]));
    expectClose(
      tl.noGrad(() => ops.lstm(x, kernel, recurrent, bias)),
      ref.output,
    );
  });

  it('reject bad arguments by name', () => {
    const x = tl.randn([2, 5, 3]);
    const k = tl.randn([3, 16]);
    const r = tl.randn([4, 16]);
    expect(() => ops.lstm(tl.randn([5, 3]), k, r)).toThrowError(/^lstm: expects a 3-D \[batch, timesteps, features\] input/);
    expect(() => ops.lstm(tl.randn([2, 0, 3]), k, r)).toThrowError(/with at least one timestep/);
    expect(() => ops.lstm(x, tl.randn([4, 16]), r)).toThrowError(
      /^lstm: expects a \[features, 16\] kernel for the input \[2, 5, 3\], got \[4, 16\]/,
    );
    expect(() => ops.lstm(x, k, tl.randn([4, 12]))).toThrowError(/expects a \[units, 4 \* units\] recurrentKernel, got \[4, 12\]/);
    expect(() => ops.lstm(x, k, r, tl.randn([2, 16]))).toThrowError(/expects a \[16\] bias, got \[2, 16\]/);
    expect(() => ops.gru(x, tl.randn([3, 12]), tl.randn([4, 12]), tl.randn([12]))).toThrowError(
      /^gru: expects a \[2, 12\] bias, got \[12\]/,
    );
    expect(() => ops.gru(x.to('int64'), tl.randn([3, 12]), tl.randn([4, 12]))).toThrowError(/needs a floating-point input/);
    expect(() => ops.lstm(x, k, 'r' as never)).toThrowError(TypeError);
  });
});

describe('LSTM and GRU layers', () => {
  it("have Keras's defaults", () => {
    const shared = {
      units: 3,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      useBias: true,
      kernelInitializer: 'glorotUniform',
      recurrentInitializer: 'orthogonal',
      biasInitializer: 'zeros',
      dropout: 0,
      recurrentDropout: 0,
      returnSequences: false,
      returnState: false,
      goBackwards: false,
      stateful: false,
    };
    expect(layers.lstm({ units: 3 }).getConfig()).toMatchObject({ ...shared, unitForgetBias: true });
    expect(layers.gru({ units: 3 }).getConfig()).toMatchObject({ ...shared, resetAfter: true });
  });

  it('refuse what they do not support (recurrentDropout, returnState, stateful) and bad values, naming the argument', () => {
    const refused: [() => unknown, RegExp][] = [
      [() => layers.lstm({ units: 2, activation: 'relu6' as 'relu' }), /^LSTM: unknown activation "relu6"/],
      [() => layers.gru({ units: 2, recurrentActivation: 3 as never }), /^GRU: unknown activation 3/],
      [() => layers.lstm({ units: 2, recurrentDropout: 0.2 }), /^LSTM: recurrentDropout 0.2 is not supported/],
      [() => layers.lstm({ units: 2, returnState: true }), /^LSTM: returnState true is not supported/],
      [() => layers.gru({ units: 2, stateful: true }), /^GRU: stateful true is not supported/],
      [() => layers.gru({ units: 2, resetAfter: 0 as never }), /^GRU: resetAfter must be a boolean/],
      [() => layers.lstm({ units: 0 }), /^LSTM: units must be a positive integer, got 0/],
      [() => layers.lstm({ units: 2, dropout: 1 }), /^LSTM: dropout must be in \[0, 1\), got 1/],
      [() => layers.gru({ units: 2, unitForgetBias: true } as never), /^GRU: unknown option 'unitForgetBias'/],
      [() => layers.lstm({ units: 2, returnSequences: 'yes' as never }), /^LSTM: returnSequences must be a boolean/],
    ];
    for (const [make, message] of refused) expect(make).toThrowError(message);
    expect(() => layers.lstm({ units: 2, stateful: true })).toThrowError(RangeError);
    expect(() => layers.lstm({ units: 2 }).computeOutputShape([4, 3, 2])).toThrowError(/expects sequences \[timesteps, features\]/);
  });

  it("store Keras's weights: kernel, recurrent_kernel (orthogonal) and bias (LSTM's forget quarter 1)", () => {
    const lstm = layers.lstm({ units: 4 });
    lstm.build([6, 3], 'cpu');
    expect(lstm.weights.map((w) => [w.name, w.tensor.shape])).toEqual([
      ['kernel', [3, 16]],
      ['recurrent_kernel', [4, 16]],
      ['bias', [16]],
    ]);
    expect(Array.from(lstm.weights[2].tensor.data())).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const recurrent = lstm.weights[1].tensor;
    const gram = recurrent.matmul(recurrent.transpose(0, 1));
    expect(
      gram
        .sub(tl.tensor([0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => (i === j ? 1 : 0)))))
        .abs()
        .max()
        .item(),
    ).toBeLessThan(1e-5);
    const gru = layers.gru({ units: 2, useBias: true });
    gru.build([6, 3], 'cpu');
    expect(gru.weights.map((w) => [w.name, w.tensor.shape])).toEqual([
      ['kernel', [3, 6]],
      ['recurrent_kernel', [2, 6]],
      ['bias', [2, 6]],
    ]);
    const before = layers.gru({ units: 2, resetAfter: false });
    before.build([6, 3], 'cpu');
    expect(before.weights[2].tensor.shape).toEqual([6]);
    expect(lstm.computeOutputShape([6, 3])).toEqual([4]);
    expect(layers.gru({ units: 2, returnSequences: true }).computeOutputShape([6, 3])).toEqual([6, 2]);
  });

  it('drop input features while training with one mask per sequence, and none in inference', () => {
    const lstm = layers.lstm({ units: 3, dropout: 0.5, returnSequences: true, unitForgetBias: false });
    lstm.build([5, 4], 'cpu');
    const x = tl.randn([8, 5, 4]);
    const plain = lstm.call(x, { training: false });
    expect(plain.data()).toEqual(ops.lstm(x, ...(lstm.weights.map((w) => w.tensor) as [tl.Tensor, tl.Tensor, tl.Tensor])).data());
    const dropped = lstm.call(x, { training: true });
    expect(dropped.data()).not.toEqual(plain.data());
  });

  it('learn a sequence task in a model, and recreate themselves from their config', async () => {
    tl.manualSeed(1);
    const model = tl.sequential([
      layers.gru({ units: 8, returnSequences: true, inputShape: [6, 1] }),
      layers.lstm({ units: 8, goBackwards: true }),
      layers.dense({ units: 2, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: new tl.optim.Adam({ learningRate: 0.03 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = tl.randn([64, 6, 1]);
    const y = x.sum(1).reshape([64]).gt(0).to('int64'); // the sign of the sequence's sum
    const history = await model.fit(x, y, { epochs: 20, batchSize: 16, verbose: 0 });
    expect(history.history.loss[19]).toBeLessThan(history.history.loss[0] / 2);
    for (const layer of [layers.lstm({ units: 3, goBackwards: true, unitForgetBias: false }), layers.gru({ units: 2, dropout: 0.1 })]) {
      const Class = layer.constructor as new (args: object) => tl.Layer;
      expect(new Class(layer.getConfig()).getConfig()).toEqual(layer.getConfig());
    }
    model.dispose();
  });

  it('save and load with Conv2DTranspose in one model, predicting the same after', async () => {
    const model = tl.sequential([
      layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: [1, 2], padding: 'same', outputPadding: [0, 1], inputShape: [4, 3, 1] }),
      layers.reshape({ targetShape: [-1, 2] }),
      layers.gru({ units: 3, returnSequences: true, goBackwards: true }),
      layers.lstm({ units: 2 }),
    ]);
    const x = tl.randn([5, 4, 3, 1]);
    const dir = mkdtempSync(join(tmpdir(), 'torchlet-recurrent-'));
    await model.save(dir);
    const loaded = await tl.loadModel(dir);
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    expect(Array.from((await loaded.predict(x)).data())).toEqual(Array.from((await model.predict(x)).data()));
  });
});
