// Keras's losses and accuracies as compiled for a model (lib/model/losses.ts), against PyTorch's
// values (scripts/reference/losses.py).
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { compileLoss } from '../../lib/model/losses.js';
import { expectClose, loadReference, refTensor, type RefValue } from '../helpers/reference.js';

const ref = loadReference('losses');
const t = (name: string): tl.Tensor => refTensor(ref[name]);
const count = (value: RefValue): number => Number(refTensor(value).item());

describe('compileLoss: names', () => {
  it.each([
    ['sparseCategoricalCrossentropy', 'sparseCategoricalCrossentropy'],
    ['sparse_categorical_crossentropy', 'sparseCategoricalCrossentropy'],
    ['categorical_crossentropy', 'categoricalCrossentropy'],
    ['binary_crossentropy', 'binaryCrossentropy'],
    ['mean_squared_error', 'meanSquaredError'],
    ['meanSquaredError', 'meanSquaredError'],
    ['mse', 'meanSquaredError'],
  ])('%s is %s', (given, name) => {
    expect(compileLoss(given, 'linear').name).toBe(name);
    expect(compileLoss({ name: given }, 'linear').name).toBe(name);
  });

  it('an unknown loss names the known ones', () => {
    for (const bad of ['hinge', '', 3, null, { name: 'logCosh' }]) {
      expect(() => compileLoss(bad, 'linear')).toThrowError(RangeError);
    }
    expect(() => compileLoss('hinge', 'linear')).toThrowError(
      'compile: unknown loss "hinge" (expected one of sparseCategoricalCrossentropy, categoricalCrossentropy, binaryCrossentropy, meanSquaredError, meanAbsoluteError, huber, klDivergence, in camelCase or snake_case)',
    );
    expect(() => compileLoss({ name: 'mae', delta: 2 }, 'linear')).toThrowError(
      /^compile: loss 'meanAbsoluteError' takes no option 'delta' \(huber does\)/,
    );
    expect(() => compileLoss({ name: 'huber', delta: 0 }, 'linear')).toThrowError(/^compile: loss.delta must be a positive number, got 0/);
    expect(compileLoss('MAE', 'linear').name).toBe('meanAbsoluteError');
    expect(compileLoss('kl_divergence', 'linear').name).toBe('klDivergence');
  });
});

describe('compileLoss: values', () => {
  it('sparse categorical cross-entropy: from the pre-softmax output, from logits, from probabilities', () => {
    const softmax = compileLoss('sparseCategoricalCrossentropy', 'softmax');
    expect(softmax.usesPreActivation).toBe(true);
    expectClose(softmax.compute(t('logits'), t('labels')), ref.sparse_from_logits);
    const logits = compileLoss({ name: 'sparseCategoricalCrossentropy', fromLogits: true }, 'linear');
    expect(logits.usesPreActivation).toBe(false);
    expectClose(logits.compute(t('logits'), t('labels')), ref.sparse_from_logits);
    const probs = compileLoss('sparseCategoricalCrossentropy', 'linear');
    expect(probs.usesPreActivation).toBe(false);
    expectClose(probs.compute(t('probs'), t('labels')), ref.sparse_from_probs);
    expect(Number(probs.correct(t('probs'), t('labels')).item())).toBe(count(ref.sparse_correct));
  });

  it('categorical cross-entropy with probability targets', () => {
    const softmax = compileLoss('categoricalCrossentropy', 'softmax');
    expect(softmax.usesPreActivation).toBe(true);
    expectClose(softmax.compute(t('logits'), t('soft')), ref.categorical_from_logits);
    expectClose(
      compileLoss({ name: 'categoricalCrossentropy', fromLogits: true }, 'relu').compute(t('logits'), t('soft')),
      ref.categorical_from_logits,
    );
    const probs = compileLoss('categoricalCrossentropy', 'linear');
    expect(probs.usesPreActivation).toBe(false);
    expectClose(probs.compute(t('probs'), t('soft')), ref.categorical_from_probs);
    expect(Number(probs.correct(t('probs'), t('soft')).item())).toBe(count(ref.categorical_correct));
    expect(Number(softmax.correct(t('logits'), t('soft')).item())).toBe(count(ref.categorical_correct));
  });

  it('binary cross-entropy and binary accuracy, from the pre-sigmoid output and from probabilities', () => {
    const sigmoid = compileLoss('binaryCrossentropy', 'sigmoid');
    expect(sigmoid.usesPreActivation).toBe(true);
    expectClose(sigmoid.compute(t('b_logits'), t('b_targets')), ref.binary_from_logits);
    expectClose(sigmoid.correct(t('b_logits'), t('b_targets')), ref.binary_correct);
    const logits = compileLoss({ name: 'binaryCrossentropy', fromLogits: true }, 'linear');
    expect(logits.usesPreActivation).toBe(false);
    expectClose(logits.compute(t('b_logits'), t('b_targets')), ref.binary_from_logits);
    const probs = compileLoss('binary_crossentropy', 'linear');
    expectClose(probs.compute(t('b_probs'), t('b_targets')), ref.binary_from_probs);
    expectClose(probs.correct(t('b_probs'), t('b_targets')), ref.binary_correct);
  });

  it('mean squared error, with exact equality as its accuracy', () => {
    const mse = compileLoss('mse', 'linear');
    expect(mse.usesPreActivation).toBe(false);
    expectClose(mse.compute(t('r_out'), t('r_targets')), ref.mse);
    expectClose(mse.correct(t('r_out'), t('r_targets')), ref.mse_correct);
    // No last activation is taken over by a regression loss.
    expect(compileLoss('mse', 'softmax').usesPreActivation).toBe(false);
    expect(compileLoss('mse', 'sigmoid').usesPreActivation).toBe(false);
  });
});

describe('compileLoss: target checks', () => {
  const sparse = compileLoss('sparseCategoricalCrossentropy', 'softmax');

  it('sparse labels: integers, one per example, within [0, classes)', () => {
    expect(() => sparse.checkTargets(tl.tensor([0, 3], [2], { dtype: 'int32' }), [4])).not.toThrow();
    expect(() => sparse.checkTargets(tl.zeros([0], { dtype: 'int64' }), [4])).not.toThrow();
    expect(() => sparse.checkTargets(tl.zeros([2, 1], { dtype: 'int64' }), [4])).toThrowError(
      /^sparse categorical labels must be one integer per example, got shape \[2,1\]$/,
    );
    expect(() => sparse.checkTargets(tl.tensor([0, 1]), [4])).toThrowError(TypeError);
    expect(() => sparse.checkTargets(tl.tensor([0, 1]), [4])).toThrowError(/^sparse categorical labels must be integers, got float32 /);
    expect(() => sparse.checkTargets(tl.tensor([true, false]), [4])).toThrowError(/must be integers, got bool/);
    expect(() => sparse.checkTargets(tl.tensor([0, 4], [2], { dtype: 'int64' }), [4])).toThrowError(
      /^labels must be in \[0, 4\) for a model with 4 outputs, got label 4$/,
    );
    expect(() => sparse.checkTargets(tl.tensor([-1, 2], [2], { dtype: 'int64' }), [4])).toThrowError(/got label -1$/);
  });

  it.each([
    ['categoricalCrossentropy', 'one-hot or probability targets'],
    ['binaryCrossentropy', 'targets in [0, 1]'],
    ['meanSquaredError', 'targets'],
  ])("%s targets must have the model's output shape", (name, what) => {
    const loss = compileLoss(name, 'linear');
    expect(() => loss.checkTargets(tl.zeros([5, 3]), [3])).not.toThrow();
    expect(() => loss.checkTargets(tl.zeros([5, 4]), [3])).toThrowError(`${what} must have the model's output shape [None, 3], got [5,4]`);
    expect(() => loss.checkTargets(tl.zeros([5]), [3])).toThrowError(RangeError);
  });
});
