// The devices the parity tests run on: the CPU always, CUDA when this machine has it.
import * as tl from '../../lib/index.js';

export const DEVICES: tl.Device[] = tl.cuda.isAvailable() ? ['cpu', 'cuda'] : ['cpu'];

/**
 * Tolerances against PyTorch's CPU reference values. On CUDA, cuDNN convolutions run in TF32 by
 * default on Ampere and later GPUs (a 10-bit mantissa: ~1e-3 relative per product) and reduce in
 * other orders, so conv-based results get 1e-2; everything else gets 1e-4. On the CPU: 1e-5.
 */
export function tolerance(device: tl.Device, usesConv = false): { atol: number; rtol: number } {
  if (device === 'cpu') return { atol: 1e-5, rtol: 1e-5 };
  return usesConv ? { atol: 1e-2, rtol: 1e-2 } : { atol: 1e-4, rtol: 1e-4 };
}
