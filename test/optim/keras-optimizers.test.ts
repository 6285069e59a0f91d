// Every optimizer against Keras itself (scripts/keras-reference/optimizers.py): 20 steps of given
// gradients, the learning rate halved after the first, a variable left without a gradient at step
// 2; and each class's defaults against Keras's get_config().
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { expectClose, loadKerasReference, refTensor, type RefValue } from '../helpers/reference.js';

const ref = loadKerasReference('optimizers') as {
  init: RefValue[];
  grads: (RefValue | null)[][];
  configs: Record<string, { class: string; options: Record<string, number | boolean>; after: RefValue[][] }>;
  defaults: Record<string, Record<string, number | boolean>>;
};

type OptimizerClass = new (params: tl.Tensor[], options?: Record<string, unknown>) => tl.optim.Optimizer;
const classes = tl.optim as unknown as Record<string, OptimizerClass>;

describe("optimizers follow Keras's formulas step for step", () => {
  for (const [name, config] of Object.entries(ref.configs)) {
    it(name, () => {
      const params = ref.init.map((t) => refTensor(t).setRequiresGrad());
      const optimizer = new classes[config.class](params, config.options);
      expect(optimizer.formula).toBe('keras');
      ref.grads.forEach((stepGrads, step) => {
        params.forEach((p, k) => (p.grad = stepGrads[k] === null ? null : refTensor(stepGrads[k])));
        optimizer.step();
        // float32 in TensorFlow and in libtorch, in other orders of operations.
        params.forEach((p, k) => expectClose(p, config.after[step][k], { atol: 2e-6, rtol: 2e-5 }));
        if (step === 0) optimizer.learningRate *= 0.5;
      });
    });
  }

  it("covers every optimizer class; SGD's PyTorch formula leaves Keras's once the rate changes", () => {
    expect(new Set(Object.values(ref.configs).map((c) => c.class))).toEqual(new Set(Object.keys(ref.defaults)));
    // (Adam's two formulas differ by epsilon's place, which shows with small gradients: seed-run.test.ts.)
    for (const name of ['sgd_momentum_wd', 'sgd_nesterov']) {
      const config = ref.configs[name];
      const params = ref.init.map((t) => refTensor(t).setRequiresGrad());
      const optimizer = new classes[config.class](params, { ...config.options, formula: 'pytorch' });
      ref.grads.slice(0, 2).forEach((stepGrads, step) => {
        params.forEach((p, k) => (p.grad = stepGrads[k] === null ? null : refTensor(stepGrads[k])));
        optimizer.step();
        if (step === 0) optimizer.learningRate *= 0.5;
      });
      expect(() => expectClose(params[0], config.after[1][0], { atol: 2e-6, rtol: 2e-5 })).toThrow();
    }
  });
});

describe("optimizers have Keras's defaults", () => {
  for (const [name, defaults] of Object.entries(ref.defaults)) {
    it(name, () => {
      const optimizer = new classes[name]([tl.zeros([2], { requiresGrad: true })]);
      const { formula, dampening, ...options } = optimizer.options as unknown as Record<string, unknown>;
      expect(formula).toBe('keras');
      expect(dampening ?? 0).toBe(0); // torch.optim.SGD's, for formula 'pytorch'
      expect(options).toEqual(defaults);
    });
  }
});
