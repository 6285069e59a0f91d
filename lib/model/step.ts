// One training step, and the forward pass under the model's precision: forward, loss, backward
// and one optimizer call, with no host sync anywhere.
import type { Batch } from '../data/dataset.js';
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

/** The model's output (pre-activation when the loss fuses the last activation) and its loss. */
export function forwardLoss(model: TrainingModel, compiled: Compiled, batch: Batch, training: boolean): { output: Tensor; loss: Tensor } {
  return withPrecision(model, compiled, () => {
    const output = model.forward(batch.x, { training }, compiled.loss.usesPreActivation);
    return { output, loss: compiled.loss.compute(output, batch.y) };
  });
}

/**
 * One eager training step. `count` false leaves the example count to the caller (graph capture,
 * data-parallel steps); with `sync`, the gradients are reduced across ranks (blocking: eager
 * steps run on the JS thread).
 */
export function trainStep(model: TrainingModel, compiled: Compiled, batch: Batch, meter: Meter, count = true, sync?: StepSync): void {
  const { output, loss } = forwardLoss(model, compiled, batch, true);
  compiled.optimizer.zeroGrad();
  if (sync) native.gradSyncBegin(sync.sync, sync.scale);
  loss.backward();
  if (sync) native.gradSyncFinish(sync.sync);
  compiled.optimizer.step();
  meter.add(loss, output, batch.y);
  if (count) meter.count(batch.y.shape[0]);
}
