import { describe, expect, it } from 'vitest';
import * as tl from '../lib/index.js';
import { DEVICES, tolerance } from './helpers/devices.js';
import { expectClose, loadReference, refTensor, type RefValue } from './helpers/reference.js';

const { ops } = tl;
type Inputs = Record<string, tl.Tensor>;
const reference = loadReference('ops') as Record<string, Record<string, RefValue>>;

// The torchlet spelling of each PyTorch case of the same name in scripts/reference/ops.py.
const cases: Record<string, (i: Inputs) => tl.Tensor> = {
  conv2d_basic: ({ x, w, b }) => ops.conv2d(x, w, b),
  conv2d_batch1_nonsquare: ({ x, w, b }) => ops.conv2d(x, w, b),
  conv2d_stride2_pad1: ({ x, w, b }) => ops.conv2d(x, w, b, { stride: 2, padding: 1 }),
  conv2d_rect_stride_pad: ({ x, w, b }) => ops.conv2d(x, w, b, { stride: [2, 1], padding: [0, 2] }),
  conv2d_same_k3: ({ x, w, b }) => ops.conv2d(x, w, b, { padding: 'same' }),
  conv2d_same_k4: ({ x, w, b }) => ops.conv2d(x, w, b, { padding: 'same' }),
  conv2d_same_stride2: ({ x, w, b }) => ops.conv2d(x, w, b, { padding: 'same', stride: 2 }),
  conv2d_dilation2_nobias: ({ x, w }) => ops.conv2d(x, w, null, { dilation: 2 }),
  conv2d_groups2: ({ x, w, b }) => ops.conv2d(x, w, b, { groups: 2 }),
  conv2d_relu_basic: ({ x, w, b }) => ops.conv2d(x, w, b, { activation: 'relu' }),
  conv2d_relu_same_stride2: ({ x, w, b }) => ops.conv2d(x, w, b, { padding: 'same', stride: 2, activation: 'relu' }),
  conv2d_relu_dilation2_nobias: ({ x, w }) => ops.conv2d(x, w, null, { dilation: 2, activation: 'relu' }),
  conv2d_relu_groups2_pad1: ({ x, w, b }) => ops.conv2d(x, w, b, { padding: 1, groups: 2, activation: 'relu' }),
  max_pool2d_k2: ({ x }) => ops.maxPool2d(x, 2),
  max_pool2d_k3s2p1: ({ x }) => ops.maxPool2d(x, 3, { stride: 2, padding: 1 }),
  max_pool2d_nonsquare: ({ x }) => ops.maxPool2d(x, [2, 3]),
  max_pool2d_ceil: ({ x }) => ops.maxPool2d(x, 2, { ceilMode: true }),
  avg_pool2d_k2: ({ x }) => ops.avgPool2d(x, 2),
  avg_pool2d_k3s2p1_noinclude: ({ x }) => ops.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
  adaptive_avg_pool2d: ({ x }) => ops.adaptiveAvgPool2d(x, 3),
  global_avg_pool2d: ({ x }) => ops.globalAvgPool2d(x),
  linear: ({ x, w, b }) => ops.linear(x, w, b),
  linear_batch1_nobias: ({ x, w }) => ops.linear(x, w),
  linear_3d: ({ x, w, b }) => ops.linear(x, w, b),
  flatten: ({ x }) => ops.flatten(x),
  relu: ({ input }) => ops.relu(input),
  sigmoid: ({ input }) => ops.sigmoid(input),
  tanh: ({ input }) => ops.tanh(input),
  gelu: ({ input }) => ops.gelu(input),
  gelu_tanh: ({ input }) => ops.gelu(input, 'tanh'),
  elu: ({ input }) => ops.elu(input),
  selu: ({ input }) => ops.selu(input),
  silu: ({ input }) => ops.silu(input),
  leaky_relu: ({ input }) => ops.leakyRelu(input, 0.2),
  softplus: ({ input }) => ops.softplus(input),
  softmax: ({ input }) => ops.softmax(input, 1),
  softmax_dim0: ({ input }) => ops.softmax(input, 0),
  log_softmax: ({ input }) => ops.logSoftmax(input, 1),
  dropout_eval: ({ input }) => ops.dropout(input, 0.3, false),
  dropout_train: ({ input }) => {
    tl.manualSeed(7);
    return ops.dropout(input, 0.3, true);
  },
  batch_norm2d_train: ({ x, w, b, rm, rv }) => ops.batchNorm(x, { runningMean: rm, runningVar: rv, weight: w, bias: b, training: true }),
  batch_norm2d_eval: ({ x, w, b, rm, rv }) => ops.batchNorm(x, { runningMean: rm, runningVar: rv, weight: w, bias: b }),
  batch_norm1d_train: ({ x, w, b, rm, rv }) => ops.batchNorm(x, { runningMean: rm, runningVar: rv, weight: w, bias: b, training: true }),
  cross_entropy_mean: ({ x, y }) => ops.crossEntropy(x, y),
  cross_entropy_sum_smooth: ({ x, y }) => ops.crossEntropy(x, y, { reduction: 'sum', labelSmoothing: 0.1 }),
  cross_entropy_none: ({ x, y }) => ops.crossEntropy(x, y, { reduction: 'none' }),
  cross_entropy_probs: ({ x, y }) => ops.crossEntropy(x, y),
  nll: ({ x, y }) => ops.nll(x, y),
  bce: ({ x, y }) => ops.binaryCrossEntropy(x, y),
  bce_logits: ({ x, y }) => ops.binaryCrossEntropyWithLogits(x, y),
  mse_sum: ({ x, y }) => ops.mse(x, y, { reduction: 'sum' }),
};

describe('ops: forward and gradients match PyTorch', () => {
  it('covers every reference case', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(reference).sort());
  });

  describe.each(DEVICES)('on %s (within 1e-5 on the CPU; see helpers/devices.ts for CUDA)', (device) => {
    for (const [name, compute] of Object.entries(cases)) {
      // CUDA draws dropout masks from its own generator, so only the CPU can match PyTorch's.
      it.skipIf(device !== 'cpu' && name === 'dropout_train')(name, () => {
        const ref = reference[name] as Record<string, Record<string, RefValue>>;
        const grads = Object.keys(ref.grads);
        const tol = tolerance(device, name.startsWith('conv'));
        const inputs: Inputs = {};
        for (const [key, value] of Object.entries(ref.inputs))
          inputs[key] = refTensor(value, { device }).setRequiresGrad(grads.includes(key));
        const output = compute(inputs);
        expect(output.device).toBe(tl.normalizeDevice(device));
        expectClose(output, ref.output, tol);
        output.backward(refTensor(ref.upstream, { device }));
        for (const key of grads) expectClose(inputs[key].grad!, ref.grads[key], tol);
        for (const [key, value] of Object.entries((ref.state as Record<string, RefValue> | undefined) ?? {}))
          expectClose(inputs[key], value, tol);
      });
    }
  });
});

describe("ops.linear with kernel 'auto' (oneDNN's 1x1 convolution where libtorch has no MKL)", () => {
  for (const name of ['linear', 'linear_batch1_nobias', 'linear_3d']) {
    it(`${name}: the same forward and gradients within 1e-5`, () => {
      const ref = reference[name] as Record<string, Record<string, RefValue>>;
      const inputs: Inputs = {};
      for (const [key, value] of Object.entries(ref.inputs)) inputs[key] = refTensor(value).setRequiresGrad();
      const output = ops.linear(inputs.x, inputs.w, 'b' in inputs ? inputs.b : null, { kernel: 'auto' });
      expectClose(output, ref.output);
      output.backward(refTensor(ref.upstream));
      for (const key of Object.keys(ref.grads)) expectClose(inputs[key].grad!, ref.grads[key]);
    });
  }
  it('rejects an unknown kernel', () => {
    expect(() => ops.linear(tl.randn([2, 3]), tl.randn([4, 3]), null, { kernel: 'gpu' as 'auto' })).toThrowError(
      /^linear: unknown kernel 'gpu'/,
    );
  });
});

describe("conv2d with activation 'relu' (one oneDNN primitive on the CPU)", () => {
  // Channels-last, as Conv2D keeps its weights and batches (the reference cases are contiguous).
  it.each([
    ['a 3-channel first layer', [8, 3, 12, 12], [16, 3, 3, 3], {}],
    ['stride 2, same padding, no bias', [4, 8, 9, 9], [8, 8, 3, 3], { stride: 2, padding: 'same' as const }],
    ['groups 2, dilation 2', [2, 4, 10, 10], [6, 2, 3, 3], { groups: 2, dilation: 2 }],
  ])('channels-last, %s: the forward and gradients of conv2d then relu, within 1e-5', (_name, xs, ws, options) => {
    const run = (fused: boolean) =>
      tl.tidy(() => {
        tl.manualSeed(5);
        const x = tl.randn(xs).contiguous('channelsLast').setRequiresGrad();
        const w = tl.randn(ws).contiguous('channelsLast').setRequiresGrad();
        const b = 'stride' in options ? null : tl.randn([ws[0]]).setRequiresGrad();
        const y = fused ? ops.conv2d(x, w, b, { ...options, activation: 'relu' }) : ops.relu(ops.conv2d(x, w, b, options));
        y.mul(tl.randn(y.shape)).sum().backward();
        return [y, x.grad!, w.grad!, ...(b ? [b.grad!] : [])].map((t) => tl.keep(t.detach()));
      });
    const [fused, plain] = [run(true), run(false)];
    expect(fused.map((t) => t.shape)).toEqual(plain.map((t) => t.shape));
    fused.forEach((t, k) => {
      const scale = Math.max(1, plain[k].abs().max().item() as number);
      expect(t.sub(plain[k]).abs().max().item()).toBeLessThanOrEqual(1e-5 * scale);
    });
  });

  it("uses oneDNN's fused convolution where libtorch has it (2.x CPU builds with oneDNN)", () => {
    const { torchVersion, mkldnn, fusedConvolution } = tl.backendInfo();
    expect(fusedConvolution).toBe(mkldnn && !torchVersion.startsWith('1.'));
  });

  it('an unknown activation is refused', () => {
    expect(() => ops.conv2d(tl.randn([1, 1, 3, 3]), tl.randn([1, 1, 1, 1]), null, { activation: 'gelu' as never })).toThrowError(
      /^conv2d: 'activation' must be 'linear' or 'relu', got 'gelu'/,
    );
  });
});

describe('ops errors name the op and the shapes', () => {
  const x = tl.randn([1, 3, 8, 8]);
  it('conv2d with a channel mismatch', () => {
    const w = tl.randn([4, 5, 3, 3]);
    expect(() => ops.conv2d(x, w)).toThrowError(
      /^conv2d: .*expected input\[1, 3, 8, 8\] to have 5 channels, but got 3 channels instead.*\(input: float32\[1, 3, 8, 8\] cpu, weight: float32\[4, 5, 3, 3\] cpu\)/,
    );
  });
  it('conv2d with a non-4-D input or weight, or a bad padding name', () => {
    expect(() => ops.conv2d(tl.randn([3, 8]), tl.randn([4, 3, 3, 3]))).toThrowError(
      /conv2d: conv2d expects a 4-D \[N, C, H, W\].*got \[3, 8\]/,
    );
    expect(() => ops.conv2d(x, tl.randn([4, 3, 3]))).toThrowError(
      /conv2d: expects a 4-D \[out, in \/ groups, kH, kW\] weight, got \[4, 3, 3\]/,
    );
    expect(() => ops.conv2d(x, tl.randn([4, 3, 3, 3]), null, { padding: 'full' as 'same' })).toThrowError(RangeError);
    expect(() => ops.conv2d(x, tl.randn([4, 3, 3, 3]), null, { stride: 0 })).toThrowError(/'stride' must be >= 1/);
  });
  it('a pooling window larger than the input', () => {
    expect(() => ops.maxPool2d(tl.randn([1, 3, 2, 2]), 3)).toThrowError(RangeError);
    expect(() => ops.maxPool2d(tl.randn([1, 3, 2, 2]), 3)).toThrowError(
      /^maxPool2d: the 3x3 window does not fit in the 2x2 input \(padding 0x0\) \(input: float32\[1, 3, 2, 2\] cpu\)$/,
    );
    expect(() => ops.avgPool2d(tl.randn([1, 3, 2, 5]), [3, 2])).toThrowError(/avgPool2d: the 3x2 window does not fit in the 2x5 input/);
    expect(() => ops.maxPool2d(x, 2, { padding: 2 })).toThrowError(/padding 2x2 must be at most half of the window 2x2/);
  });
  it('linear with mismatched features', () => {
    expect(() => ops.linear(tl.randn([2, 5]), tl.randn([3, 6]))).toThrowError(
      /^linear: input features \(last dim of \[2, 5\]\) must equal the weight's in-features 6 \(input: float32\[2, 5\] cpu, weight: float32\[3, 6\] cpu\)$/,
    );
  });
  it('labels out of range, of the wrong type or count', () => {
    const logits = tl.randn([4, 10]);
    expect(() => ops.crossEntropy(logits, tl.tensor([1, 2, 11, 0], { dtype: 'int64' }))).toThrowError(RangeError);
    expect(() => ops.crossEntropy(logits, tl.tensor([1, 2, 11, 0], { dtype: 'int64' }))).toThrowError(
      /^crossEntropy: label 11 is out of range for 10 classes \(input: float32\[4, 10\] cpu, target: int64\[4\] cpu\)$/,
    );
    expect(() => ops.nll(logits, tl.tensor([-1, 0, 0, 0], { dtype: 'int32' }))).toThrowError(
      /nll: label -1 is out of range for 10 classes/,
    );
    expect(() => ops.crossEntropy(logits, tl.tensor([1, 2, 3]).to('int64'))).toThrowError(
      /crossEntropy: expects 4 labels for input \[4, 10\], got labels of shape \[3\]/,
    );
    expect(() => ops.crossEntropy(logits, tl.tensor([1, 2, 3, 4]))).toThrowError(
      /crossEntropy: input and target must have the same shape, got \[4, 10\] and \[4\]/,
    );
  });
  it('accepts int32 labels', () => {
    const logits = tl.randn([3, 5]);
    const a = ops.crossEntropy(logits, tl.tensor([0, 4, 2], { dtype: 'int32' })).item();
    const b = ops.crossEntropy(logits, tl.tensor([0, 4, 2], { dtype: 'int64' })).item();
    expect(a).toBe(b);
  });
  it('mse refuses to broadcast mismatched shapes', () => {
    expect(() => ops.mse(tl.randn([4, 1]), tl.randn([4]))).toThrowError(
      /^mse: input and target must have the same shape, got \[4, 1\] and \[4\]/,
    );
  });
  it('dropout and batchNorm reject bad values', () => {
    expect(() => ops.dropout(x, 1.5, true)).toThrowError(/dropout: 'rate' must be in \[0, 1\]/);
    expect(() => ops.batchNorm(x, { training: false })).toThrowError(/batchNorm: eval mode needs runningMean and runningVar/);
    expect(() => ops.batchNorm(x, { weight: tl.ones([4]), training: true })).toThrowError(/must have shape \[3\], got \[4\]/);
  });
});
