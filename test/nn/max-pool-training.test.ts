// Max pooling under autograd on torchlet's own kernels (native/max-pool.cc, MaxPoolTraining):
// float32 channels-last inputs with 16k channels and windows that tile the input, on a CPU with
// AVX-512. Its outputs and gradients must be ATen's bit for bit, which a contiguous (NCHW) copy
// of the same input gets (that layout stays on ATen's max_pool2d).
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

const { ops } = tl;

// The pooled values and the input's gradient for `upstream` as the output's gradient.
function pooled(x: tl.Tensor, kernel: number, upstream: tl.Tensor, options: tl.ops.Pool2dOptions = {}): { y: number[]; grad: number[] } {
  const leaf = x.clone();
  leaf.requiresGrad = true;
  const y = ops.maxPool2d(leaf, kernel, options);
  y.mul(upstream).sum().backward();
  // Compared in NCHW order, whatever the layout.
  return { y: Array.from(y.contiguous().data()), grad: Array.from(leaf.grad!.contiguous().data()) };
}

function both(nhwc: tl.Tensor, kernel: number, options: tl.ops.Pool2dOptions = {}) {
  const channelsLast = nhwc.permute([0, 3, 1, 2]);
  const contiguous = channelsLast.contiguous();
  const upstream = tl.randn(ops.maxPool2d(contiguous, kernel, options).shape);
  return [pooled(channelsLast, kernel, upstream, options), pooled(contiguous, kernel, upstream, options)];
}

describe('max pooling with autograd', () => {
  it.each([
    ['2x2 on 30x30 (as the reference CNN)', [2, 30, 30, 32], 2],
    ['2x2 on 13x13: the last row and column in no window', [3, 13, 13, 64], 2],
    ['3x3 on 7x8, 16 channels', [2, 7, 8, 16], 3],
  ] as const)('equals ATen in values and gradients: %s', (_, shape, kernel) => {
    tl.manualSeed(11);
    const [ours, aten] = both(tl.randn([...shape]), kernel);
    expect(ours.y).toEqual(aten.y);
    expect(ours.grad).toEqual(aten.grad);
    expect(ours.grad.filter((g) => g !== 0).length).toBeGreaterThan(0);
  });

  it('routes the gradient as ATen does through ties, NaN, infinities and -0', () => {
    tl.manualSeed(12);
    const special = [NaN, -0, 0, Infinity, -Infinity, 1, 1, -2];
    const values = new Float32Array(2 * 6 * 6 * 32).map((_, i) => special[(i * 5 + (i >> 5)) % 8]);
    const [ours, aten] = both(tl.tensor(values, { shape: [2, 6, 6, 32] }), 2);
    expect(ours.y).toEqual(aten.y);
    expect(ours.grad).toEqual(aten.grad);
    expect(ours.y.filter(Number.isNaN).length).toBeGreaterThan(0);
  });

  it('keeps ATen for overlapping windows and padding, with the same results', () => {
    tl.manualSeed(13);
    for (const options of [{ stride: 1 }, { padding: 1 }]) {
      const [ours, aten] = both(tl.randn([2, 6, 6, 16]), 3, options);
      expect(ours.grad).toEqual(aten.grad);
    }
  });
});
