// Losses against Keras itself (scripts/keras-reference/losses.py), value and gradient:
// cross-entropy computed from probabilities (a model without a final softmax or sigmoid), with
// clipping to [1e-7, 1 - 1e-7] and rows that do not sum to 1; huber, mean absolute error and KL
// divergence.
import { describe, expect, it } from 'vitest';
import { compileLoss } from '../../lib/model/losses.js';
import { expectClose, loadKerasReference, refTensor, type RefValue } from '../helpers/reference.js';

const ref = loadKerasReference('losses') as Record<string, RefValue> & Record<string, { loss: RefValue; grad: RefValue }>;

describe("cross-entropy from probabilities is Keras's", () => {
  const cases = [
    ['sparseCategoricalCrossentropy', 'probs', 'sparse'],
    ['categoricalCrossentropy', 'probs', 'soft'],
    ['binaryCrossentropy', 'binary', 'binaryTargets'],
    ['huber', 'regression', 'regressionTargets'],
    ['meanAbsoluteError', 'regression', 'regressionTargets'],
    ['klDivergence', 'probs', 'soft'],
  ] as const;
  const check = (spec: Parameters<typeof compileLoss>[0], key: string, input: string, target: string) => {
    const p = refTensor(ref[input]).setRequiresGrad();
    const loss = compileLoss(spec, 'linear').compute(p, refTensor(ref[target]));
    loss.backward();
    expect(loss.item()).toBeCloseTo(ref[key].loss as number, 5);
    expectClose(p.grad!, ref[key].grad, { atol: 1e-6, rtol: 1e-5 });
  };
  for (const [name, input, target] of cases) it(name, () => check(name, name, input, target));
  it('huber with delta 0.5', () => check({ name: 'huber', delta: 0.5 }, 'huberHalf', 'regression', 'regressionTargets'));
});
