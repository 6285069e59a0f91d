// Bad input at the public API: each case is an error naming the API and what was wrong, never a
// silent wrong result. (The native crashes found by fuzzing are pinned in fuzz.test.ts; generated
// calls across the whole API run in fuzz-api.test.ts.)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tl from '../lib/index.js';
import { tinyClassifier } from './helpers/models.js';

const { layers } = tl;
const fake = () => Object.create(tl.Tensor.prototype) as tl.Tensor;
const PROTOTYPE_KEYS = ['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__'];

describe('no silent wrongs', () => {
  it('a fake tensor is never taken for a missing optional one', () => {
    const x = tl.randn([2, 3, 4, 4]);
    const w = tl.randn([3, 3, 1, 1]);
    expect(() => tl.ops.conv2d(x, w, fake())).toThrowError(/^conv2d: argument 'bias' must be a Tensor/);
    expect(() => tl.ops.linear(tl.randn([2, 3]), tl.randn([4, 3]), fake())).toThrowError(/^linear: argument 'bias' must be a Tensor/);
    for (const key of ['weight', 'bias', 'runningMean', 'runningVar']) {
      expect(() => tl.ops.batchNorm(x, { [key]: fake() })).toThrowError(new RegExp(`^batchNorm: argument '${key}' must be a Tensor`));
    }
  });

  it('a gradient of another dtype is refused where it is set', () => {
    const p = tl.randn([3]).setRequiresGrad();
    for (const dtype of ['int32', 'bool', 'uint8', 'float16', 'int64', 'float64'] as const) {
      expect(() => (p.grad = tl.zeros([3], { dtype }))).toThrowError(
        new RegExp(`^setGrad: grad of dtype ${dtype} does not match the tensor's float32`),
      );
    }
    expect(p.grad).toBeNull();
    p.grad = tl.ones([3]);
    expect(p.grad.toArray()).toEqual([1, 1, 1]);
  });

  it('optimizer state: step counts are non-negative integers, buffers tensors with known names', () => {
    const p = tl.randn([2]).setRequiresGrad();
    const opt = new tl.optim.Adam([p]);
    p.grad = tl.ones([2]);
    opt.step();
    const state = opt.getState();
    for (const steps of [[NaN], [0.5], [-1], ['1']]) {
      expect(() => opt.setState({ ...state, steps: steps as number[] })).toThrowError(
        /^Adam.setState: state.steps must hold non-negative integers/,
      );
    }
    expect(() => opt.setState({ ...state, buffers: { ...state.buffers, momentum: [{}] as tl.Tensor[] } })).toThrowError(
      /^Adam.setState: state.buffers.momentum\[0\] must be a live Tensor or null/,
    );
    expect(() => opt.setState({ ...state, buffers: { ...state.buffers, momentum: [fake()] } })).toThrowError(
      /^Adam.setState: state.buffers.momentum\[0\] must be a live Tensor or null/,
    );
    expect(() => opt.setState({ ...state, buffers: { momentums: state.buffers.momentum } })).toThrowError(
      /^Adam.setState: unknown option 'momentums' \(did you mean 'momentum'\?\)/,
    );
    expect(() => opt.setState({ ...state, step: [1] } as unknown as tl.optim.OptimizerState)).toThrowError(
      /^Adam.setState: unknown option 'step' \(did you mean 'steps'\?\)/,
    );
    // Nothing was half-applied: the state is the one from before.
    expect(opt.getState().steps).toEqual([1]);
  });

  it('optimizer errors name the method called, with the value as given', () => {
    const p = tl.randn([2]).setRequiresGrad();
    const opt = new tl.optim.AdamW([p]);
    expect(() => opt.configure({ epsilon: -1e-9 })).toThrowError(/^AdamW.configure: epsilon must be >= 0, got -1e-09$/);
    expect(() => (opt.learningRate = -0.5)).toThrowError(/^AdamW.configure: learningRate must be >= 0, got -0.5$/);
    p.grad = tl.ones([2]);
    p.dispose();
    expect(() => opt.step()).toThrowError(/^AdamW.step: parameter 0 \(float32\[2\] cpu\) was disposed/);
  });

  it('names never find Object.prototype members', () => {
    for (const name of PROTOTYPE_KEYS) {
      expect(() => layers.dense({ units: 2, activation: name as 'relu' })).toThrowError(/^Dense: unknown activation/);
      expect(() => layers.activation({ activation: name as 'relu' })).toThrowError(/^Activation: unknown activation/);
      expect(() => layers.dense({ units: 2, kernelInitializer: name as 'zeros' })).toThrowError(/^Dense: unknown kernelInitializer/);
      expect(() =>
        tl.sequential([layers.dense({ units: 2, inputShape: [3] })]).compile({ optimizer: name as 'adam', loss: 'mse' }),
      ).toThrowError(/^compile: unknown optimizer/);
      expect(() =>
        tl.sequential([layers.dense({ units: 2, inputShape: [3] })]).compile({ optimizer: 'adam', loss: name as 'mse' }),
      ).toThrowError(/^compile: unknown loss/);
      expect(() =>
        tl
          .sequential([layers.dense({ units: 2, inputShape: [3] })])
          .compile({ optimizer: 'adam', loss: 'mse', metrics: [name as 'accuracy'] }),
      ).toThrowError(/^compile: unknown metric/);
    }
  });

  it('a disposed model cannot be used: it is not silently rebuilt with new weights', async () => {
    const model = tinyClassifier();
    const x = tl.rand([4, 4]);
    await model.predict(x);
    model.dispose();
    expect(model.isDisposed).toBe(true);
    await expect(model.predict(x)).rejects.toThrowError(/^predict: the model 'sequential' was disposed/);
    await expect(model.fit(x, tl.randint(0, 3, [4]), { verbose: 0 })).rejects.toThrowError(/^fit: the model 'sequential' was disposed/);
    await expect(model.evaluate(x, tl.randint(0, 3, [4]))).rejects.toThrowError(/^evaluate: the model 'sequential' was disposed/);
    await expect(model.predictOnBatch(x)).rejects.toThrowError(/^predictOnBatch: the model 'sequential' was disposed/);
    await expect(model.trainOnBatch(x, tl.randint(0, 3, [4]))).rejects.toThrowError(/^trainOnBatch: the model 'sequential' was disposed/);
    expect(() => model.countParams()).toThrowError(/the model 'sequential' was disposed/);
    await expect(model.save(mkdtempSync(join(tmpdir(), 'disposed-')))).rejects.toThrowError(/^save: the model 'sequential' was disposed/);
    model.dispose(); // twice is fine
  });

  it('stored weights of another dtype are refused, not reinterpreted', async () => {
    const model = tinyClassifier();
    const file = join(mkdtempSync(join(tmpdir(), 'relabel-')), 'w.safetensors');
    await model.saveWeights(file);
    // Relabel every F32 tensor as I32 in the header; the bytes stay the same.
    const bytes = readFileSync(file);
    const length = Number(bytes.readBigUInt64LE(0));
    const header = bytes
      .subarray(8, 8 + length)
      .toString('utf8')
      .replaceAll('"F32"', '"I32"');
    writeFileSync(file, Buffer.concat([bytes.subarray(0, 8), Buffer.from(header), bytes.subarray(8 + length)]));
    const before = model.getWeights()[0].toArray();
    await expect(model.loadWeights(file)).rejects.toThrowError(
      /^loadWeights: .* 'dense\/kernel' is int32 in the file, float32 in the model/,
    );
    expect(model.getWeights()[0].toArray()).toEqual(before);
  });

  it('globalAvgPool2d needs a 4-D floating-point input', () => {
    expect(() => tl.ops.globalAvgPool2d(tl.zeros([2, 3]))).toThrowError(
      /^globalAvgPool2d: expects a 4-D \[N, C, H, W\] input, got shape \[2,3\]/,
    );
    expect(() => tl.ops.globalAvgPool2d(tl.zeros([1, 2, 2, 2], { dtype: 'int64' }))).toThrowError(
      /^globalAvgPool2d: expects a floating-point/,
    );
    expect(tl.ops.globalAvgPool2d(tl.ones([1, 2, 2, 2])).shape).toEqual([1, 2]);
  });

  it('fit, evaluate and predict on no data say so', async () => {
    const model = tinyClassifier();
    await expect(model.fit(tl.zeros([0, 4]), tl.zeros([0], { dtype: 'int64' }), { verbose: 0 })).rejects.toThrowError(
      /^fit: there is no training data \(0 examples\)$/,
    );
    await expect(model.evaluate(tl.zeros([0, 4]), tl.zeros([0], { dtype: 'int64' }))).rejects.toThrowError(/^evaluate: there is no data/);
    await expect(model.predict(tl.zeros([0, 4]))).rejects.toThrowError(/^predict: there is no data/);
  });

  it('a reshape whose size overflows 64 bits is refused where the product is computed', () => {
    expect(() => tl.zeros([2]).reshape([2 ** 40, 2 ** 40])).toThrowError(
      /^reshape: cannot reshape \[2\] \(2 elements\) to \[1099511627776, 1099511627776\]/,
    );
  });
});

describe('errors that name the API', () => {
  it('a value of the wrong kind', () => {
    expect(() => tl.ops.globalAvgPool2d('x' as unknown as tl.Tensor)).toThrowError(/^globalAvgPool2d: input must be a Tensor, got "x"$/);
    expect(() => layers.conv2d(null as unknown as tl.Conv2DArgs)).toThrowError(/^Conv2D: arguments must be a plain object, got null$/);
    expect(() => tl.ones([2]).to(tl.ones([2]) as unknown as 'cpu')).toThrowError(/^to: the target must be a plain object, got a Tensor$/);
    expect(() => tl.ones([1]).backward(null, null as unknown as object)).toThrowError(
      /^backward: options must be a plain object, got null$/,
    );
  });

  it('a SharedArrayBuffer-backed typed array is read like any other', () => {
    const data = new Float32Array(new SharedArrayBuffer(12));
    data.set([1, 2, 3]);
    expect(tl.tensor(data).toArray()).toEqual([1, 2, 3]);
    expect(tl.tensor(new Int32Array(new SharedArrayBuffer(8)), [2]).toArray()).toEqual([0, 0]);
  });
});

describe('Keras-style configuration is checked, not guessed', () => {
  it('a misspelled key suggests the closest one', () => {
    expect(() => layers.dense({ units: 3, activaton: 'relu' } as tl.DenseArgs)).toThrowError(
      /^Dense: unknown option 'activaton' \(did you mean 'activation'\?\)$/,
    );
    expect(() => layers.conv2d({ filters: 2, kernelSize: 3, stride: 2 } as tl.Conv2DArgs)).toThrowError(/did you mean 'strides'\?/);
  });

  it('snake_case keys get the camelCase spelling', () => {
    expect(() => layers.dense({ units: 3, input_shape: [4] } as tl.DenseArgs)).toThrowError(
      /^Dense: unknown option 'input_shape' \(options are camelCase here: did you mean 'inputShape'\?\)$/,
    );
    expect(() => layers.conv2d({ filters: 2, kernel_size: 3 } as unknown as tl.Conv2DArgs)).toThrowError(/did you mean 'kernelSize'\?/);
  });

  it('every layer factory and class checks its keys', () => {
    const valid: Record<string, object> = {
      conv2d: { filters: 1, kernelSize: 1 },
      dense: { units: 1 },
      dropout: { rate: 0.5 },
      activation: { activation: 'relu' },
      rescaling: { scale: 2 },
      reshape: { targetShape: [1] },
      permute: { dims: [1] },
      embedding: { inputDim: 2, outputDim: 2 },
      depthwiseconv2d: { kernelSize: 1 },
      separableconv2d: { filters: 1, kernelSize: 1 },
      conv1d: { filters: 1, kernelSize: 1 },
      inputlayer: { shape: [1] },
      conv2dtranspose: { filters: 1, kernelSize: 1 },
      lstm: { units: 1 },
      gru: { units: 1 },
    };
    for (const [name, factory] of Object.entries(layers)) {
      const make = /^[A-Z]/.test(name)
        ? (args: object) => new (factory as new (a: object) => tl.Layer)(args)
        : (args: object) => (factory as (a: object) => tl.Layer)(args);
      const base = Object.entries(valid).find(([key]) => key === name.toLowerCase())?.[1] ?? {};
      const cls = make(base).className;
      expect(() => make({ ...base, bogusKey: 1 }), name).toThrowError(new RegExp(`^${cls}: unknown option 'bogusKey'`));
      expect(() => make({ ...base, name: 'ok', trainable: 'yes' }), name).toThrowError(new RegExp(`^${cls}: trainable must be a boolean`));
    }
  });

  it('compile, fit, evaluate and predict options', async () => {
    const model = tinyClassifier();
    const [x, y] = [tl.rand([8, 4]), tl.randint(0, 3, [8])];
    expect(() => model.compile({ optimizer: 'adam', loss: 'mse', metric: ['accuracy'] } as tl.CompileArgs)).toThrowError(
      /^compile: unknown option 'metric' \(did you mean 'metrics'\?\)$/,
    );
    expect(() => model.compile({ optimizer: 'adam', loss: { name: 'mse', from_logits: true } } as unknown as tl.CompileArgs)).toThrowError(
      /^compile: unknown option 'from_logits' \(options are camelCase here: did you mean 'fromLogits'\?\)$/,
    );
    await expect(model.fit(x, y, { batch_size: 4 } as tl.FitOptions)).rejects.toThrowError(
      /^fit: unknown option 'batch_size' .*'batchSize'/,
    );
    await expect(model.fit(x, y, { verbose: 0, shuffle: 'no' } as unknown as tl.FitOptions)).rejects.toThrowError(
      /^fit: shuffle must be a boolean, got "no"$/,
    );
    await expect(model.evaluate(x, y, { batchSize: 4, verbos: 0 } as tl.EvaluateOptions)).rejects.toThrowError(
      /^evaluate: unknown option 'verbos' \(did you mean 'verbose'\?\)$/,
    );
    await expect(model.predict(x, { batchsize: 4 } as tl.PredictOptions)).rejects.toThrowError(
      /^predict: unknown option 'batchsize' \(did you mean 'batchSize'\?\)$/,
    );
    expect(() => new tl.optim.Adam({ learning_rate: 0.1 } as tl.optim.AdamOptions)).toThrowError(
      /^Adam: unknown option 'learning_rate' \(options are camelCase here: did you mean 'learningRate'\?\)$/,
    );
    expect(() => new tl.optim.SGD({ momentum: 0.9, nesterow: true } as tl.optim.SGDOptions)).toThrowError(
      /^SGD: unknown option 'nesterow'/,
    );
    expect(() => new tl.EarlyStopping({ patiense: 3 } as tl.EarlyStoppingArgs)).toThrowError(/^EarlyStopping: unknown option 'patiense'/);
    expect(() => new tl.ModelCheckpoint({ filepath: 'x', save_best_only: true } as tl.ModelCheckpointArgs)).toThrowError(
      /did you mean 'saveBestOnly'\?/,
    );
  });

  it('callbacks: one plain object works as an array of one, and a misspelled hook is an error', async () => {
    const model = tinyClassifier();
    const [x, y] = [tl.rand([8, 4]), tl.randint(0, 3, [8])];
    const epochs: number[] = [];
    const callback = { seen: epochs, onEpochEnd: (epoch: number) => void epochs.push(epoch) };
    await model.fit(x, y, { epochs: 3, verbose: 0, callbacks: callback });
    expect(epochs).toEqual([0, 1, 2]);
    await expect(model.fit(x, y, { verbose: 0, callbacks: { onEpochEnds: () => {} } as tl.CallbackHooks })).rejects.toThrowError(
      /^fit: callbacks has an unknown hook 'onEpochEnds' \(did you mean 'onEpochEnd'\?\)$/,
    );
    await expect(model.fit(x, y, { verbose: 0, callbacks: [{ on_epoch_end: () => {} } as tl.CallbackHooks] })).rejects.toThrowError(
      /^fit: callbacks\[0\] has an unknown hook 'on_epoch_end' \(options are camelCase here: did you mean 'onEpochEnd'\?\)$/,
    );
    await expect(model.fit(x, y, { verbose: 0, callbacks: { onEpochEnd: 1 } as unknown as tl.CallbackHooks })).rejects.toThrowError(
      /^fit: callbacks.onEpochEnd must be a function, got 1$/,
    );
  });

  it('the layer classes are reachable as tl.layers.Conv2D and tl.Conv2D', () => {
    for (const name of [
      'Conv2D',
      'MaxPooling2D',
      'AveragePooling2D',
      'GlobalAveragePooling2D',
      'Flatten',
      'Dense',
      'Dropout',
      'BatchNormalization',
      'Activation',
      'ReLU',
    ] as const) {
      expect(layers[name], name).toBe(tl[name]);
    }
    expect(new tl.layers.Conv2D({ filters: 4, kernelSize: 3 })).toBeInstanceOf(tl.Layer);
  });
});
