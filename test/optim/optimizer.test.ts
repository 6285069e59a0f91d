import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { expectClose, loadReference, refTensor, type RefValue } from '../helpers/reference.js';

const { optim } = tl;
const ref = loadReference('optim') as {
  init: RefValue[];
  grads: (RefValue | null)[][];
  configs: Record<string, { options: Record<string, number | boolean>; after: RefValue[][] }>;
};

function makeOptimizer(name: string, params: tl.Tensor[], options: Record<string, number | boolean>): tl.optim.Optimizer {
  if (name.startsWith('adamw')) return new optim.AdamW(params, options);
  if (name.startsWith('adam')) return new optim.Adam(params, options);
  return new optim.SGD(params, options);
}

describe('optimizers match torch.optim step for step', () => {
  for (const [name, config] of Object.entries(ref.configs)) {
    it(name, () => {
      const params = ref.init.map((t) => refTensor(t).setRequiresGrad());
      const optimizer = makeOptimizer(name, params, config.options);
      ref.grads.forEach((stepGrads, step) => {
        params.forEach((p, k) => (p.grad = stepGrads[k] === null ? null : refTensor(stepGrads[k])));
        optimizer.step();
        params.forEach((p, k) => expectClose(p, config.after[step][k], { atol: 1e-6, rtol: 1e-5 }));
        if (step === 0) optimizer.learningRate *= 0.5;
      });
    });
  }
});

describe('Optimizer', () => {
  const params = () => [tl.randn([4, 3], { requiresGrad: true }), tl.randn([3], { requiresGrad: true })];

  it("runs Adam's CPU step as libtorch's fused kernel from 2.4 on (backendInfo().fusedAdam)", () => {
    const [major, minor] = tl.backendInfo().torchVersion.split('.').map(Number);
    expect(tl.backendInfo().fusedAdam).toBe(major > 2 || (major === 2 && minor >= 4));
  });

  it("has Keras's defaults and formula (keras-optimizers.test.ts checks them against Keras)", () => {
    expect(new optim.Adam(params()).options).toEqual({
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      weightDecay: 0,
      amsgrad: false,
      formula: 'keras',
    });
    expect(new optim.Adam().learningRate).toBe(1e-3);
    expect(new optim.AdamW(params(), { formula: 'pytorch' }).options).toMatchObject({ weightDecay: 0.004, formula: 'pytorch' });
  });

  it('takes the formula once, when made', () => {
    expect(() => new optim.RMSprop({ formula: 'pytorch' } as never)).toThrowError(
      /^RMSprop: option 'formula' must be 'keras' \(Keras's is the only formula it has\), got "pytorch"/,
    );
    expect(() => new optim.Adam({ formula: 'torch' as never })).toThrowError(
      /^Adam: option 'formula' must be 'keras' or 'pytorch', got "torch"/,
    );
    const adam = new optim.Adam(params());
    adam.configure({ formula: 'keras' });
    expect(() => adam.configure({ formula: 'pytorch' })).toThrowError(
      /^Adam.configure: the formula is chosen when the optimizer is made \(it is 'keras'\)/,
    );
    expect(() => new optim.SGD(params(), { dampening: 0.1 })).toThrowError(/^SGD: dampening is torch.optim.SGD's; Keras's SGD has none/);
    expect(new optim.SGD(params(), { formula: 'pytorch', dampening: 0.1, momentum: 0.9 }).options.dampening).toBe(0.1);
  });

  it('zeroGrad drops the gradients, or zeroes them in place', () => {
    const ps = params();
    const opt = new optim.SGD(ps);
    ps[0].mul(2).sum().backward();
    opt.zeroGrad(false);
    expect(Array.from(ps[0].grad!.data())).toEqual(new Array(12).fill(0));
    opt.zeroGrad();
    expect(ps[0].grad).toBeNull();
  });

  it('exports and imports its state, so a restored optimizer continues identically', () => {
    const initial = params();
    const a = new optim.Adam(initial, { learningRate: 0.1, amsgrad: true, formula: 'pytorch' });
    const step = (opt: tl.optim.Optimizer, ps: tl.Tensor[]) => {
      opt.zeroGrad();
      ps[0].matmul(ps[1]).pow(2).sum().backward();
      opt.step();
    };
    step(a, initial);
    step(a, initial);
    const state = a.getState();
    expect(state.steps).toEqual([2, 2]);
    expect(Object.keys(state.buffers).sort()).toEqual(['expAvg', 'expAvgSq', 'maxExpAvgSq']);
    expect(state.buffers.expAvg[0]!.shape).toEqual([4, 3]);

    // A new optimizer over copies of the parameters, given that state, takes the same next step.
    const restored = initial.map((p) => p.detach().clone().setRequiresGrad());
    const b = new optim.Adam(restored, { learningRate: 0.1, amsgrad: true, formula: 'pytorch' });
    expect(b.getState().steps).toEqual([0, 0]);
    b.setState(state);
    step(a, initial);
    step(b, restored);
    initial.forEach((p, k) => expect(Array.from(restored[k].data())).toEqual(Array.from(p.data())));
  });

  // Keras's slot names; every optional slot switched on.
  const kerasStates = [
    ['Adam', { amsgrad: true }, ['momentum', 'velocity', 'velocityHat']],
    ['SGD', { momentum: 0.9, nesterov: true }, ['momentum']],
    ['RMSprop', { momentum: 0.5, centered: true }, ['averageGradient', 'momentum', 'velocity']],
    ['Adagrad', {}, ['accumulator']],
    ['Adamax', {}, ['momentum', 'norm']],
    ['Nadam', {}, ['momentum', 'velocity']],
    ['Lion', {}, ['momentum']],
  ] as const;
  for (const [name, options, buffers] of kerasStates) {
    it(`${name}: a restored state continues bit for bit, with Keras's slot names and one step count`, () => {
      const Class = (optim as unknown as Record<string, new (p: tl.Tensor[], o: object) => tl.optim.Optimizer>)[name];
      const initial = params();
      const step = (opt: tl.optim.Optimizer, ps: tl.Tensor[]) => {
        opt.zeroGrad();
        ps[0].matmul(ps[1]).pow(2).sum().backward();
        opt.step();
      };
      const a = new Class(initial, { ...options, learningRate: 0.01 });
      for (let k = 0; k < 3; k++) step(a, initial);
      const state = a.getState();
      expect(state.steps).toEqual([3, 3]);
      expect(Object.keys(state.buffers).sort()).toEqual([...buffers]);
      const restored = initial.map((p) => p.detach().clone().setRequiresGrad());
      const b = new Class(restored, { ...options, learningRate: 0.01 });
      b.setState(state);
      for (let k = 0; k < 2; k++) {
        step(a, initial);
        step(b, restored);
      }
      initial.forEach((p, k) => expect(Array.from(restored[k].data())).toEqual(Array.from(p.data())));
      expect(() => b.setState({ ...state, steps: [3, 4] })).toThrowError(
        new RegExp(`^${name}.setState: state.steps must all be equal: this optimizer counts steps for all parameters together`),
      );
    });
  }

  it('rejects a state of the wrong shape', () => {
    const a = new optim.Adam(params());
    const state = a.getState();
    state.steps = [1];
    expect(() => a.setState(state)).toThrowError(/^Adam.setState: state has 1 step counts for 2 parameters/);
    const b = new optim.SGD(params(), { momentum: 0.9 });
    expect(() => b.setState({ steps: [1, 1], buffers: { momentum: [tl.zeros([2]), null] } })).toThrowError(
      /state.buffers.momentum\[0\] has shape \[2\] but parameter 0 has \[4, 3\]/,
    );
  });

  it('rejects parameters that need no grad, repeat, or are disposed', () => {
    expect(() => new optim.Adam([tl.zeros([2])])).toThrowError(RangeError);
    expect(() => new optim.Adam([tl.zeros([2])])).toThrowError(/^Adam: parameter 0 \(float32\[2\] cpu\) does not require grad/);
    const w = tl.zeros([2], { requiresGrad: true });
    expect(() => new optim.SGD([w, w])).toThrowError(/parameter 1 \(float32\[2\] cpu\) appears twice/);
    expect(() => new optim.SGD([w.mul(2)])).toThrowError(/is not a leaf tensor/);
    const gone = tl.zeros([2], { requiresGrad: true });
    gone.dispose();
    expect(() => new optim.SGD([gone])).toThrowError(/^SGD: argument 'params\[0\]' is a disposed tensor/);
    const later = tl.zeros([3], { requiresGrad: true });
    const opt = new optim.SGD([w, later]);
    later.dispose();
    expect(() => opt.step()).toThrowError(/^SGD.step: parameter 1 \(float32\[3\] cpu\) was disposed/);
  });

  it('rejects bad hyper-parameters and steps without parameters', () => {
    expect(() => new optim.Adam(params(), { beta1: 1 })).toThrowError(/beta1 must be in \[0, 1\), got 1/);
    expect(() => new optim.SGD(params(), { nesterov: true, formula: 'pytorch' })).toThrowError(
      /nesterov needs momentum > 0 and dampening 0/,
    );
    expect(() => new optim.SGD(params(), { momentum: 1.5 })).toThrowError(/^SGD: momentum must be in \[0, 1\], got 1.5/);
    expect(() => new optim.Lion(params(), { beta1: 1.5 })).toThrowError(/^Lion: beta1 must be in \[0, 1\], got 1.5/);
    expect(() => new optim.RMSprop(params(), { rho: 1 })).toThrowError(/^RMSprop: rho must be in \[0, 1\), got 1/);
    expect(() => new optim.Adagrad(params(), { initialAccumulatorValue: -1 })).toThrowError(/initialAccumulatorValue must be >= 0/);
    expect(() => new optim.Adam(params(), { learningRate: -1 })).toThrowError(RangeError);
    const unbound = new optim.Adam();
    expect(() => unbound.step()).toThrowError(/^Adam: no parameters are bound/);
    const bound = new optim.Adam(params());
    expect(() => (bound.learningRate = Number.NaN)).toThrowError(/learningRate/);
  });
});
