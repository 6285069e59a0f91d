import { collectGarbage } from '../helpers/gc.js';
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { patchImages, referenceModel } from '../helpers/images.js';

const { layers } = tl;

function smallModel(activation: tl.ActivationName = 'softmax', units = 3): tl.Sequential {
  return tl.sequential([layers.dense({ units: 16, activation: 'relu', inputShape: [4] }), layers.dense({ units, activation })]);
}

describe('the reference model on a small synthetic set', () => {
  const train = patchImages(640, 1);
  const test = patchImages(200, 2);
  const model = referenceModel();
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  let history: tl.History;

  it('trains: the loss falls and accuracy rises well above chance', async () => {
    history = await model.fit(train.x, train.y, { epochs: 2, validationData: [test.x, test.y], verbose: 0 });
    expect(history.epoch).toEqual([0, 1]);
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(history.history.loss[1]).toBeLessThan(history.history.loss[0]);
    expect(history.history.val_accuracy[1]).toBeGreaterThan(0.6);
  });

  it('evaluate agrees with a manual forward pass', async () => {
    const { loss, accuracy } = await model.evaluate(test.x, test.y);
    const probs = await model.predict(test.x);
    const manual = tl.noGrad(() => ({
      loss: probs.log().gather(1, test.y.unsqueeze(1)).mean().neg().item() as number,
      accuracy: probs.argmax(1).eq(test.y).to('float32').mean().item() as number,
    }));
    expect(loss).toBeCloseTo(manual.loss, 5);
    expect(accuracy).toBeCloseTo(manual.accuracy, 6);
    expect(accuracy).toBeCloseTo(history.history.val_accuracy[1], 6);
  });

  it('predict returns probabilities, the same for any batch size', async () => {
    const a = await model.predict(test.x, { batchSize: 7 });
    const b = await model.predict(test.x, { batchSize: 200 });
    expect(a.shape).toEqual([200, 10]);
    a.sum(1)
      .data()
      .forEach((s) => expect(s).toBeCloseTo(1, 5));
    a.data().forEach((v, i) => expect(v).toBeCloseTo(b.data()[i], 5));
  });
});

describe('fit', () => {
  const x = tl.randn([96, 4]);
  const y = x
    .narrow(1, 0, 1)
    .squeeze(1)
    .gt(0)
    .to('int64')
    .add(x.narrow(1, 1, 1).squeeze(1).gt(0).to('int64'));

  it('takes validationSplit from the last examples', async () => {
    tl.manualSeed(3);
    const a = smallModel();
    a.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const weights = a.getWeights();
    const h1 = await a.fit(x, y, { epochs: 1, validationSplit: 0.25, shuffle: false, verbose: 0 });
    const b = smallModel();
    b.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    b.setWeights(weights);
    const h2 = await b.fit(x.narrow(0, 0, 72), y.narrow(0, 0, 72), {
      epochs: 1,
      validationData: [x.narrow(0, 72, 24), y.narrow(0, 72, 24)],
      shuffle: false,
      verbose: 0,
    });
    expect(h1.history).toEqual(h2.history);
  });

  it('accepts a Dataset and keeps timers running while it trains', async () => {
    const m = smallModel();
    m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const big = tl.randn([4096, 4]);
    await m.fit(new tl.TensorDataset(big, tl.randint(0, 3, [4096])), { epochs: 3, batchSize: 8, verbose: 0 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
  });

  it('learns with categorical, binary and mean-squared-error losses', async () => {
    const oneHot = tl
      .tensor([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ])
      .indexSelect(0, y);
    const cases: [tl.Sequential, tl.LossName, tl.Tensor][] = [
      [smallModel('softmax'), 'categoricalCrossentropy', oneHot],
      [smallModel('sigmoid', 1), 'binary_crossentropy', y.gt(0).to('float32').unsqueeze(1)],
      [smallModel('linear', 1), 'mse', x.sum(1, true)],
    ];
    for (const [m, loss, targets] of cases) {
      m.compile({ optimizer: new tl.optim.Adam({ learningRate: 0.01 }), loss, metrics: ['accuracy'] });
      const h = await m.fit(x, targets, { epochs: 8, batchSize: 16, verbose: 0 });
      expect(h.history.loss[7]).toBeLessThan(h.history.loss[0]);
    }
  });

  it('starts at initialEpoch', async () => {
    const m = smallModel();
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const h = await m.fit(x, y, { epochs: 4, initialEpoch: 2, verbose: 0 });
    expect(h.epoch).toEqual([2, 3]);
  });

  it('trainOnBatch takes one step and returns its loss and accuracy', async () => {
    const m = smallModel();
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });
    const before = m.getWeights()[0].data();
    const logs = await m.trainOnBatch(x, y);
    expect(Object.keys(logs)).toEqual(['loss', 'acc']);
    expect(logs.loss).toBeGreaterThan(0);
    expect(logs.acc).toBeGreaterThanOrEqual(0);
    expect(m.getWeights()[0].data()).not.toEqual(before);
  });

  it('holds no tensors after it returns beyond the model and optimizer state', async () => {
    // Earlier tests' dropped handles go first: a GC during fit would otherwise lower the count.
    await collectGarbage();
    const m = smallModel();
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await m.fit(x, y, { epochs: 1, verbose: 0, validationSplit: 0.2 });
    const after1 = tl.memory().tensors;
    await m.fit(x, y, { epochs: 3, verbose: 0, validationSplit: 0.2 });
    await m.evaluate(x, y);
    expect(tl.memory().tensors).toBe(after1);
  });

  it('runs evaluate and predict in eval mode: dropout off', async () => {
    const m = tl.sequential([layers.dropout({ rate: 0.5, inputShape: [4] }), layers.dense({ units: 3, activation: 'softmax' })]);
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    expect((await m.predict(x)).data()).toEqual((await m.predict(x)).data());
    expect(await m.evaluate(x, y)).toEqual(await m.evaluate(x, y));
  });

  it('returns image outputs in Keras layout, from predict and predictOnBatch alike', async () => {
    const m = tl.sequential([layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', inputShape: [6, 7, 2] })]);
    const input = tl.randn([3, 6, 7, 2]);
    const all = await m.predict(input);
    expect(all.shape).toEqual([3, 6, 7, 5]);
    expect((await m.predictOnBatch(input)).data()).toEqual(all.data());
    expect((await m.predictOnBatch(input)).requiresGrad).toBe(false);
  });
});

describe('fit errors', () => {
  const x = tl.randn([10, 4]);
  const y = tl.randint(0, 3, [10]);
  const compiled = () => {
    const m = smallModel();
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    return m;
  };

  it('before compile', async () => {
    await expect(smallModel().fit(x, y)).rejects.toThrowError(/^fit: compile\(\) the model first/);
    await expect(smallModel().evaluate(x, y)).rejects.toThrowError(/^evaluate: compile\(\) the model first/);
  });

  it('a wrong input shape names both shapes', async () => {
    await expect(compiled().fit(tl.randn([10, 5]), y)).rejects.toThrowError(/^fit: expected input of shape \[None, 4\], got \[None, 5\]$/);
    await expect(compiled().predict(tl.randn([2, 2, 2]))).rejects.toThrowError(
      /predict: expected input of shape \[None, 4\], got \[None, 2,2\]/,
    );
  });

  it('labels of the wrong length, type or range', async () => {
    await expect(compiled().fit(x, tl.randint(0, 3, [9]))).rejects.toThrowError(
      /^fit: y has 9 entries but x has 10 examples \(x: \[10,4\], y: \[9\]\)$/,
    );
    await expect(compiled().fit(x, tl.randint(3, 4, [10]))).rejects.toThrowError(
      /^labels must be in \[0, 3\) for a model with 3 outputs, got label 3$/,
    );
    await expect(compiled().fit(x, tl.rand([10]))).rejects.toThrowError(/sparse categorical labels must be integers, got float32/);
    await expect(compiled().fit(x, undefined as unknown as tl.Tensor)).rejects.toThrowError(
      /^fit: y \(the labels or targets\) must be a Tensor, got undefined$/,
    );
  });

  it('bad options', async () => {
    await expect(compiled().fit(x, y, { epoch: 3 } as tl.FitOptions)).rejects.toThrowError(
      /^fit: unknown option 'epoch' \(did you mean 'epochs'\?\)$/,
    );
    await expect(compiled().fit(x, y, { epochs: 0 })).rejects.toThrowError(/fit: epochs must be a positive integer, got 0/);
    await expect(compiled().fit(x, y, { batchSize: 2.5 })).rejects.toThrowError(/fit: batchSize must be a positive integer/);
    await expect(compiled().fit(x, y, { validationSplit: 1 })).rejects.toThrowError(/fit: validationSplit must be in \(0, 1\)/);
    await expect(compiled().fit(x, y, { verbose: 3 as 1 })).rejects.toThrowError(/fit: verbose must be 0, 1 or 2/);
  });
});
