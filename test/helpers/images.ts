// A small learnable image set for model tests: class k puts a bright 8x8 patch in channel k % 3 at
// a position of its own, on uniform noise.
import * as tl from '../../lib/index.js';

export function patchImages(n: number, seed: number, size = 32): { x: tl.Tensor; y: tl.Tensor } {
  tl.manualSeed(seed);
  const labels = tl.randint(0, 10, [n]);
  const noise = tl.rand([n, size, size, 3]).mul(0.3).data();
  const y = labels.data<'int64'>();
  const step = Math.floor((size - 8) / 4);
  for (let i = 0; i < n; i++) {
    const k = Number(y[i]);
    const top = (k % 5) * step;
    const left = Math.floor(k / 5) * 2 * step;
    for (let r = top; r < top + 8; r++) {
      for (let c = left; c < left + 8; c++) noise[((i * size + r) * size + c) * 3 + (k % 3)] += 0.7;
    }
  }
  return { x: tl.tensor(noise, [n, size, size, 3]), y: labels };
}

/** The reference model of DESIGN.md. */
export const referenceModel = tl.referenceCnn;
