import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

// Statistics of a large draw from each initializer, for a [400, 300] dense kernel (fanIn 300, fanOut 400).
function draw(name: tl.InitializerName): { std: number; maxAbs: number; mean: number } {
  tl.manualSeed(0);
  const d = tl.layers.dense({ units: 400, kernelInitializer: name });
  d.build([300], 'cpu');
  const k = d.weights[0].tensor;
  const mean = k.mean().item() as number;
  return { mean, std: Math.sqrt(k.sub(mean).pow(2).mean().item() as number), maxAbs: k.abs().max().item() as number };
}

describe('initializers', () => {
  const uniform: [tl.InitializerName, number][] = [
    ['glorotUniform', Math.sqrt(6 / 700)],
    ['heUniform', Math.sqrt(6 / 300)],
    ['lecunUniform', Math.sqrt(3 / 300)],
    ['randomUniform', 0.05],
  ];
  for (const [name, limit] of uniform) {
    it(`${name} is uniform on [-${limit.toFixed(4)}, ${limit.toFixed(4)}]`, () => {
      const s = draw(name);
      expect(s.maxAbs).toBeLessThanOrEqual(limit);
      expect(s.maxAbs).toBeGreaterThan(limit * 0.99);
      expect(s.std).toBeCloseTo(limit / Math.sqrt(3), 3);
    });
  }

  const normal: [tl.InitializerName, number][] = [
    ['glorotNormal', Math.sqrt(2 / 700)],
    ['he_normal', Math.sqrt(2 / 300)],
    ['lecunNormal', Math.sqrt(1 / 300)],
  ];
  for (const [name, std] of normal) {
    it(`${name} is a truncated normal with standard deviation ${std.toFixed(4)}`, () => {
      const s = draw(name);
      expect(s.std).toBeCloseTo(std, 3);
      expect(Math.abs(s.mean)).toBeLessThan(std / 50);
      // Truncated at two standard deviations of the underlying normal.
      expect(s.maxAbs).toBeLessThanOrEqual((2 * std) / 0.87962566103423978 + 1e-6);
    });
  }

  it('randomNormal has standard deviation 0.05; zeros and ones are constant', () => {
    expect(draw('randomNormal').std).toBeCloseTo(0.05, 3);
    expect(draw('zeros').maxAbs).toBe(0);
    expect(draw('ones')).toMatchObject({ mean: 1, std: 0 });
  });

  it('orthogonal gives orthonormal columns (or rows, whichever are fewer), seeded like the others', () => {
    for (const [shape, rows] of [
      [[12, 5], false],
      [[4, 16], true],
    ] as const) {
      tl.manualSeed(3);
      const d = tl.layers.dense({ units: shape[1], kernelInitializer: 'orthogonal' });
      d.build([shape[0]], 'cpu');
      // Dense stores [units, in]: the transpose of Keras's [in, units].
      const k = d.weights[0].tensor.transpose(0, 1);
      const gram = rows ? k.matmul(k.transpose(0, 1)) : k.transpose(0, 1).matmul(k);
      const n = Math.min(...shape);
      const identity = tl.tensor(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))));
      expect(gram.sub(identity).abs().max().item()).toBeLessThan(1e-5);
      tl.manualSeed(3);
      const again = tl.layers.dense({ units: shape[1], kernelInitializer: 'orthogonal' });
      again.build([shape[0]], 'cpu');
      expect(again.weights[0].tensor.data()).toEqual(d.weights[0].tensor.data());
    }
  });
});
