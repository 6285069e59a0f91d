// One training step, and the forward pass under the model's precision: forward, loss, backward
// and one optimizer call, with no host sync anywhere.
import { inputsOf, targetsOf, type Batch } from '../data/dataset.js';
import { native } from '../native.js';
import type { Tensor } from '../tensor.js';
import type { Meter } from './meter.js';
import type { Compiled } from './compiled.js';
import type { TrainingModel } from './model-api.js';
import type { StepSync } from './traced-step.js';

/** Runs `fn` with autocast on when the model was compiled with mixedPrecision (bf16, fp32 weights). */
export function withPrecision<T>(model: TrainingModel, compiled: Compiled, fn: () => T): T {
  if (!compiled.mixedPrecision) return fn();
  const device = model.device.startsWith('cuda') ? 'cuda' : 'cpu';
  native.setAutocast(device, true, 'bfloat16');
  try {
    return fn();
  } finally {
    native.setAutocast(device, false);
  }
}

/** What a forward pass with its loss gives: each output (pre-activation where the loss fuses it), the loss trained on, each output's. */
export interface ForwardLoss {
  outputs: Tensor[];
  loss: Tensor;
  parts: Tensor[];
}

/** The model's outputs (pre-activation where the loss fuses the last activation) and the loss. */
export function forwardLoss(model: TrainingModel, compiled: Compiled, batch: Batch, training: boolean): ForwardLoss {
  return withPrecision(model, compiled, () => {
    const outputs = model.forwardAll(inputsOf(batch), { training }, compiled.preActivation);
    return { outputs, ...compiled.computeLoss(outputs, targetsOf(batch)) };
  });
}

/**
 * One eager training step. `count` false leaves the example count to the caller (graph capture,
 * data-parallel steps); with `sync`, the gradients are reduced across ranks (blocking: eager
 * steps run on the JS thread).
 */
export function trainStep(model: TrainingModel, compiled: Compiled, batch: Batch, meter: Meter, count = true, sync?: StepSync): void {
  const { outputs, loss, parts } = forwardLoss(model, compiled, batch, true);
  compiled.optimizer.zeroGrad();
  if (sync) native.gradSyncBegin(sync.sync, sync.scale);
  loss.backward();
  if (sync) native.gradSyncFinish(sync.sync);
  compiled.optimizer.step();
  meter.add(loss, parts, outputs, targetsOf(batch));
  if (count) meter.count(batch.y.shape[0]);
}
