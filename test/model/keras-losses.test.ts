// Cross-entropy computed from probabilities (a model without a final softmax or sigmoid) against
// Keras itself (scripts/keras-reference/losses.py): clipping to [1e-7, 1 - 1e-7], and rows that
// do not sum to 1, in the loss and its gradient.
import { describe, expect, it } from 'vitest';
import { compileLoss } from '../../lib/model/losses.js';
import { expectClose, loadKerasReference, refTensor, type RefValue } from '../helpers/reference.js';

const ref = loadKerasReference('losses') as Record<string, RefValue> & Record<string, { loss: RefValue; grad: RefValue }>;

describe("cross-entropy from probabilities is Keras's", () => {
  const cases = [
    ['sparseCategoricalCrossentropy', 'probs', 'sparse'],
    ['categoricalCrossentropy', 'probs', 'soft'],
    ['binaryCrossentropy', 'binary', 'binaryTargets'],
  ] as const;
  for (const [name, input, target] of cases) {
    it(name, () => {
      const p = refTensor(ref[input]).setRequiresGrad();
      const loss = compileLoss(name, 'linear').compute(p, refTensor(ref[target]));
      loss.backward();
      expect(loss.item()).toBeCloseTo(ref[name].loss as number, 5);
      expectClose(p.grad!, ref[name].grad, { atol: 1e-6, rtol: 1e-5 });
    });
  }
});
