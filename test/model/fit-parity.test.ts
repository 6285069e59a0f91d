// Sequential.fit against PyTorch doing the same (scripts/reference/keras_fit.py): same initial
// weights, same batches (shuffle off), Keras's semantics. Per-epoch loss and accuracy, validation
// figures, final weights and predictions must agree within 1e-4.
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { referenceModel } from '../helpers/images.js';
import { DEVICES } from '../helpers/devices.js';
import { useOneThread } from '../helpers/models.js';
import { expectClose, loadReference, refTensor, type RefValue } from '../helpers/reference.js';

const { layers } = tl;
type Case = {
  init: RefValue[];
  x: RefValue;
  y: RefValue;
  xv: RefValue;
  yv: RefValue;
  history: Record<string, number[]>;
  final: RefValue[];
  predictions: RefValue;
};
const ref = loadReference('keras_fit') as unknown as Record<string, Case>;

const models: Record<string, () => { model: tl.Sequential; optimizer: tl.optim.Optimizer }> = {
  reference_cnn: () => ({
    model: referenceModel(),
    optimizer: new tl.optim.Adam({ formula: 'pytorch' }), // as the reference's torch.optim.Adam
  }),
  bn_model: () => ({
    model: tl.sequential([
      layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, inputShape: [12, 12, 3] }),
      layers.batchNormalization(),
      layers.activation({ activation: 'relu' }),
      layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
      layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
      layers.globalAveragePooling2d(),
      layers.dense({ units: 5, activation: 'softmax' }),
    ]),
    optimizer: new tl.optim.SGD({ learningRate: 0.05, momentum: 0.9 }),
  }),
};

describe('fit matches PyTorch running the same Keras model', () => {
  useOneThread();

  // On CUDA (TF32 convolutions, other reduction orders) the figures agree to 1e-2 and an
  // accuracy may differ by a borderline example or two; on the CPU, to 1e-4.
  for (const [name, make] of Object.entries(models)) {
    it.each(DEVICES)(`${name} on %s`, async (device) => {
      const cpu = device === 'cpu';
      const c = ref[name];
      const { model, optimizer } = make();
      model.to(device);
      model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      model.setWeights(c.init.map((t) => refTensor(t)));
      const history = await model.fit(refTensor(c.x), refTensor(c.y), {
        epochs: 2,
        batchSize: 16,
        shuffle: false,
        verbose: 0,
        validationData: [refTensor(c.xv), refTensor(c.yv)],
      });
      for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
        const digits = cpu ? 4 : key.includes('accuracy') ? 1 : 2;
        history.history[key].forEach((value, epoch) => expect(value).toBeCloseTo(c.history[key][epoch], digits));
      }
      const tol = cpu ? { rtol: 1e-4, atol: 1e-6 } : { rtol: 5e-2, atol: 2e-3 };
      model.getWeights().forEach((w, k) => expectClose(w, c.final[k], tol));
      expectClose(await model.predict(refTensor(c.xv).narrow(0, 0, 8)), c.predictions, tol);
    });
  }
});
