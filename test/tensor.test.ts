import { describe, expect, it } from 'vitest';
import * as tl from '../lib/index.js';
import { DEVICES, tolerance } from './helpers/devices.js';
import { expectClose, loadReference, refTensor, type RefValue } from './helpers/reference.js';

const ref = loadReference('tensor');
const inputs = ref.inputs as Record<string, RefValue>;
const expected = ref.expected as Record<string, RefValue>;
type Inputs = Record<'x' | 'y' | 'z' | 'm' | 'b' | 'idx' | 'gidx', tl.Tensor>;
const inputsOn = (device: tl.Device): Inputs =>
  Object.fromEntries(['x', 'y', 'z', 'm', 'b', 'idx', 'gidx'].map((k) => [k, refTensor(inputs[k], { device })])) as Inputs;
const { x, m, b } = inputsOn('cpu');
// Cases that create their tensors (factories) run on the CPU only.
const FACTORY_CASES = ['arange_float', 'arange_int', 'int_div'];

// Each case is the torchlet spelling of the PyTorch expression of the same name in scripts/reference/tensor.py.
const cases: Record<string, (i: Inputs) => tl.Tensor> = {
  add: (i) => i.x.add(i.y),
  add_alpha: (i) => i.x.add(i.y, 2.5),
  add_scalar: (i) => i.x.add(1.5),
  sub: (i) => i.x.sub(i.y),
  sub_scalar: (i) => i.x.sub(0.25),
  mul: (i) => i.x.mul(i.y),
  mul_scalar: (i) => i.x.mul(-3),
  div: (i) => i.x.div(i.z),
  div_scalar: (i) => i.x.div(4),
  pow_scalar: (i) => i.z.pow(2.5),
  pow_tensor: (i) => i.z.pow(i.y),
  neg: (i) => i.x.neg(),
  exp: (i) => i.x.exp(),
  log: (i) => i.z.log(),
  sqrt: (i) => i.z.sqrt(),
  abs: (i) => i.x.abs(),
  clamp: (i) => i.x.clamp(-0.5, 0.5),
  clamp_min: (i) => i.x.clamp(0),
  matmul: (i) => i.x.matmul(i.m),
  matmul_batched: (i) => i.b.matmul(i.m),
  gt: (i) => i.x.gt(0),
  le_tensor: (i) => i.x.le(i.y),
  eq_scalar: (i) => i.x.abs().lt(0.5).eq(true),
  sum_all: (i) => i.x.sum(),
  sum_dim: (i) => i.x.sum(1),
  sum_dims_keep: (i) => i.b.sum([0, 2], true),
  mean_dim_keep: (i) => i.x.mean(0, true),
  max_all: (i) => i.x.max(),
  max_dim: (i) => i.x.max(1),
  min_dim_keep: (i) => i.x.min(0, true),
  argmax_all: (i) => i.x.argmax(),
  argmax_dim: (i) => i.x.argmax(1),
  argmin_dim_keep: (i) => i.x.argmin(0, true),
  reshape: (i) => i.b.reshape([4, -1]),
  permute_contiguous: (i) => i.b.permute([2, 0, 1]).contiguous(),
  transpose: (i) => i.x.transpose(0, 1).contiguous(),
  flatten: (i) => i.b.flatten(1),
  narrow: (i) => i.x.narrow(1, 1, 2).contiguous(),
  slice_step: (i) => i.x.slice(1, 0, 4, 2).contiguous(),
  index_select: (i) => i.x.indexSelect(0, i.idx),
  gather: (i) => i.x.gather(1, i.gidx),
  cat: (i) => tl.cat([i.x, i.x.mul(2)], 1),
  stack: (i) => tl.stack([i.x, i.x.neg()], 0),
  squeeze_unsqueeze: (i) => i.x.unsqueeze(0).unsqueeze(2).squeeze(0),
  arange_float: () => tl.arange(0, 1, 0.125),
  arange_int: () => tl.arange(2, 11, 3),
  int_div: () => tl.tensor(new Int32Array([7, -7, 9])).div(2),
  pad: (i) => i.x.pad([1, 2, 0, 1], -1),
  erfinv: (i) => i.z.sub(1).clamp(-0.9, 0.9).erfinv(),
  flip: (i) => i.b.flip([0, 2]),
  expand: (i) => i.y.unsqueeze(0).expand([3, 4]).contiguous(),
  where: (i) => i.x.where(i.x.gt(0), i.y),
  where_scalar: (i) => i.x.where(i.x.gt(0), -1),
};

describe('Tensor math and shape ops match PyTorch', () => {
  it('covers every reference case', () => {
    expect(Object.keys(cases).sort()).toEqual(
      Object.keys(expected)
        .filter((k) => k !== 'random')
        .sort(),
    );
  });
  describe.each(DEVICES)('on %s', (device) => {
    const onDevice = inputsOn(device);
    for (const [name, compute] of Object.entries(cases)) {
      it.skipIf(device !== 'cpu' && FACTORY_CASES.includes(name))(name, () =>
        expectClose(compute(onDevice), expected[name], tolerance(device)),
      );
    }
  });
});

describe('Tensor properties and read-back', () => {
  it('reports shape, rank, dtype, device, numel and strides', () => {
    expect(b.shape).toEqual([2, 3, 4]);
    expect(b.rank).toBe(3);
    expect(b.dtype).toBe('float32');
    expect(b.device).toBe('cpu');
    expect(b.numel).toBe(24);
    expect(b.strides).toEqual([12, 4, 1]);
    expect(b.permute([0, 2, 1]).strides).toEqual([12, 1, 4]);
  });

  it('reads back each dtype as its TypedArray', () => {
    expect(tl.tensor([1.5, 2]).data()).toEqual(new Float32Array([1.5, 2]));
    expect(tl.tensor([1.5, 2], { dtype: 'float64' }).data()).toEqual(new Float64Array([1.5, 2]));
    expect(tl.tensor([3, -4], { dtype: 'int32' }).data()).toEqual(new Int32Array([3, -4]));
    expect(tl.tensor([3, -4], { dtype: 'int64' }).data()).toEqual(new BigInt64Array([3n, -4n]));
    expect(tl.tensor([3, 250], { dtype: 'uint8' }).data()).toEqual(new Uint8Array([3, 250]));
    expect(tl.tensor([true, false]).data()).toEqual(new Uint8Array([1, 0]));
    expect(tl.tensor([0.5, 2]).to('bfloat16').data()).toEqual(new Float32Array([0.5, 2]));
  });

  it('keeps int64 values beyond 2^31 exact', () => {
    const big = tl.tensor(new BigInt64Array([2n ** 40n + 1n, -(2n ** 50n)]));
    expect(big.dtype).toBe('int64');
    expect(big.data()).toEqual(new BigInt64Array([2n ** 40n + 1n, -(2n ** 50n)]));
    expect(big.add(1).data()[0]).toBe(2n ** 40n + 2n);
  });

  it('reads a non-contiguous view in logical order', () => {
    const t = tl
      .tensor([
        [1, 2, 3],
        [4, 5, 6],
      ])
      .transpose(0, 1);
    expect(t.isContiguous()).toBe(false);
    expect(Array.from(t.data())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(t.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
  });

  it('item() returns numbers and booleans', () => {
    expect(tl.tensor([2.5]).item()).toBe(2.5);
    expect(tl.tensor([7], { dtype: 'int64' }).sum().item()).toBe(7);
    expect(tl.tensor([true]).item()).toBe(true);
  });

  it('to() changes dtype or device and returns a copy', () => {
    const t = tl.tensor([1.7, -2.2]);
    const i = t.to('int32');
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.data())).toEqual([1, -2]);
    const c = t.to({ device: 'cpu', dtype: 'float64' });
    expect(c.dtype).toBe('float64');
    expect(c.device).toBe('cpu');
    expect(t.cpu().device).toBe('cpu');
  });

  it('contiguous("channelsLast") gives NHWC strides for an NCHW shape', () => {
    const t = tl.zeros([2, 3, 4, 5]).contiguous('channelsLast');
    expect(t.shape).toEqual([2, 3, 4, 5]);
    expect(t.strides).toEqual([60, 1, 15, 3]);
    expect(t.isContiguous('channelsLast')).toBe(true);
  });

  it('assign() copies values in place, broadcasting, and keeps identity', () => {
    const w = tl.zeros([2, 3], { requiresGrad: true });
    const alias = w.view([6]);
    w.assign(tl.tensor([1, 2, 3]));
    expect(w.toArray()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(Array.from(alias.data())).toEqual([1, 2, 3, 1, 2, 3]);
    expect(w.requiresGrad).toBe(true);
    expect(() => w.assign(tl.zeros([4]))).toThrowError(/^assign: .*(self: float32\[2, 3\] cpu, src: float32\[4\] cpu)/);
  });

  it('views share storage with their base', () => {
    const base = tl.arange(6, { dtype: 'float32' });
    const view = base.view([2, 3]);
    expect(tl.memory().bytes).toBeGreaterThan(0);
    expect(view.shape).toEqual([2, 3]);
    expect(Array.from(view.narrow(0, 1, 1).data())).toEqual([3, 4, 5]);
  });
});

describe('Tensor errors', () => {
  it('wrong shapes give an Error naming the op and both shapes', () => {
    expect(() => x.add(tl.zeros([5]))).toThrowError(/^add: .*\(self: float32\[3, 4\] cpu, other: float32\[5\] cpu\)$/);
    expect(() => x.matmul(x)).toThrowError(/matmul: .*3x4 and 3x4.*self: float32\[3, 4\]/);
    expect(() => x.reshape([5, -1])).toThrowError(RangeError);
    expect(() => x.reshape([5, -1])).toThrowError(/reshape: cannot reshape \[3, 4\] \(12 elements\) to \[5, -1\]/);
    expect(() => tl.cat([x, m], 0)).toThrowError(/cat: .*tensors\[0\]: float32\[3, 4\] cpu, tensors\[1\]: float32\[4, 5\] cpu/);
  });

  it('mismatched dtypes give an Error naming the dtypes', () => {
    // libtorch's own wording changed between releases ('Float and Double' in 1.13, 'float != double' in 2.x).
    expect(() => x.matmul(tl.zeros([4, 2], { dtype: 'float64' }))).toThrowError(
      /matmul: .*(Float|Double|float != double).*other: float64\[4, 2\]/,
    );
    expect(() => x.indexSelect(0, tl.tensor([0.5]))).toThrowError(/indexSelect: .*index: float32\[1\]/);
  });

  it('bad dims give a RangeError', () => {
    expect(() => x.sum(5)).toThrowError(RangeError);
    expect(() => x.sum(5)).toThrowError(/sum: Dimension out of range .* got 5/);
    expect(() => x.transpose(0, -3)).toThrowError(RangeError);
    expect(() => x.slice(1, 0, 2, 0)).toThrowError(/slice: 'step' must be positive/);
    expect(() => x.narrow(1, 0, -1)).toThrowError(RangeError);
  });

  it('wrong JS types give a TypeError naming the argument', () => {
    expect(() => x.add('1' as unknown as number)).toThrowError(TypeError);
    expect(() => x.add('1' as unknown as number)).toThrowError(/add: argument 'other' must be a Tensor or a number/);
    expect(() => x.reshape('3' as unknown as number[])).toThrowError(
      /reshape: argument 'shape' must be an integer or an array of integers, got string/,
    );
    expect(() => x.matmul({} as tl.Tensor)).toThrowError(/matmul: argument 'other' must be a Tensor, got object/);
    expect(() => tl.cat(x as unknown as tl.Tensor[])).toThrowError(/cat: argument 'tensors' must be an array of Tensors/);
    expect(() => x.permute([0, 1.5])).toThrowError(/permute: argument 'dims' must hold integers, got 1.5 at index 1/);
  });

  it('an unknown device or dtype gives a RangeError', () => {
    expect(() => x.to('gpu' as tl.Device)).toThrowError(RangeError);
    expect(() => x.to('gpu' as tl.Device)).toThrowError(/to: unknown device 'gpu' \(expected 'cpu', 'cuda' or 'cuda:N'\)/);
    expect(() => x.to('cuda:x' as tl.Device)).toThrowError(/unknown device 'cuda:x'/);
    expect(() => x.to({ dtype: 'float8' as tl.Dtype })).toThrowError(/to: unknown dtype 'float8'/);
  });

  it.skipIf(tl.cuda.isAvailable())('asking for CUDA without it gives a clear Error', () => {
    expect(() => x.cuda()).toThrowError(/^cuda: device 'cuda' requested but CUDA is not available/);
    expect(() => tl.zeros([2], { device: 'cuda:1' })).toThrowError(/CUDA is not available/);
  });

  it('item() on a tensor with many elements is a RangeError', () => {
    expect(() => x.item()).toThrowError(/item: item\(\) needs a tensor with exactly one element \(self: float32\[3, 4\] cpu\)/);
  });
});
