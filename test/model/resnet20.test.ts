// The shipped ResNet-20 (lib/model/resnet20.ts, the functional API's example) against PyTorch
// running the same network with the same weights (scripts/reference/resnet20.py): the inference
// forward pass, and one training step (loss, every weight and batch-norm statistic after it).
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { DEVICES, tolerance } from '../helpers/devices.js';
import { useOneThread } from '../helpers/models.js';
import { expectClose, loadReference, refTensor, type RefValue } from '../helpers/reference.js';

const ref = loadReference('resnet20') as unknown as {
  params: number;
  init: Record<string, RefValue>;
  images: RefValue;
  labels: RefValue;
  predictions: RefValue;
  loss: RefValue;
  after_step: Record<string, RefValue>;
};

// A ResNet-20 on `device` holding the reference's initial weights, matched by name.
function referenceResnet(device: tl.Device): tl.Functional<tl.Tensor> {
  const model = tl.resnet20().to(device);
  const names = model.namedWeights().map(([name]) => name);
  expect(names.toSorted()).toEqual(Object.keys(ref.init).toSorted());
  model.setWeights(names.map((name) => refTensor(ref.init[name])));
  return model;
}

describe('ResNet-20 matches PyTorch', () => {
  useOneThread();

  it("has the reference's 274,042 parameters, of which 1,568 batch-norm statistics", () => {
    const model = tl.resnet20();
    expect(model.countParams()).toBe(ref.params);
    expect(model.countParams()).toBe(274_042);
    expect(model.trainableWeights.reduce((n, t) => n + t.numel, 0)).toBe(274_042 - 1_568);
    model.dispose();
  });

  it.each(DEVICES)('forward pass (inference) on %s', async (device) => {
    const model = referenceResnet(device);
    const predictions = await model.predict(refTensor(ref.images));
    expectClose(predictions.cpu(), ref.predictions, tolerance(device, true));
    model.dispose();
  });

  it.each(DEVICES)('one training step on %s: the loss, every weight and the moving statistics', async (device) => {
    const model = referenceResnet(device);
    model.compile({ optimizer: new tl.optim.Adam({ formula: 'pytorch' }), loss: 'sparseCategoricalCrossentropy' });
    const { loss } = await model.trainOnBatch(refTensor(ref.images), refTensor(ref.labels));
    const tol = tolerance(device, true);
    const expected = Number(refTensor(ref.loss).item());
    expect(Math.abs(loss - expected)).toBeLessThan(tol.atol + tol.rtol * expected);
    // One Adam step moves each weight by about its learning rate (1e-3), so 1e-5 still sees any
    // gradient gone wrong.
    for (const [name, weight] of model.namedWeights()) expectClose(weight.cpu(), ref.after_step[name], tol);
    model.dispose();
  });
});
