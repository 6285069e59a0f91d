// Weight initializers with Keras's names and definitions.
import { full, rand, randn, zeros } from '../create.js';
import { native } from '../native.js';
import { handleOf, run, type Device, type Tensor } from '../tensor.js';
import { describeValue, ownEntry } from '../arguments.js';

/** Initializer names, in camelCase or snake_case. */
export type InitializerName =
  | 'zeros'
  | 'ones'
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'lecunUniform'
  | 'lecunNormal'
  | 'randomUniform'
  | 'randomNormal'
  | 'orthogonal'
  | 'glorot_uniform'
  | 'glorot_normal'
  | 'he_uniform'
  | 'he_normal'
  | 'lecun_uniform'
  | 'lecun_normal'
  | 'random_uniform'
  | 'random_normal';

/** What an initializer needs: the shape to fill and the fans of the weight it is for. */
export interface InitContext {
  shape: number[];
  fanIn: number;
  fanOut: number;
  device: Device;
}

type Init = (c: InitContext) => Tensor;

const uniform = (limit: number, c: InitContext): Tensor =>
  rand(c.shape, { device: c.device })
    .mul(2 * limit)
    .sub(limit);

// Keras's truncated normal (±2σ), drawn by inverting the normal CDF on [Φ(-2), Φ(2)]:
// x = √2 · erfinv(2u - 1). Φ(-2) = 0.0227501319481792.
const PHI_MINUS_2 = 0.0227501319481792;
const truncatedNormal = (stddev: number, c: InitContext): Tensor =>
  rand(c.shape, { device: c.device })
    .mul(1 - 2 * PHI_MINUS_2)
    .add(PHI_MINUS_2)
    .mul(2)
    .sub(1)
    .erfinv()
    .mul(Math.SQRT2 * stddev);

// Keras's VarianceScaling: the truncated normal's stddev is corrected by 0.87962566103423978
// so that the truncated distribution keeps the intended variance.
const scaled =
  (scale: number, fan: (c: InitContext) => number, kind: 'uniform' | 'normal'): Init =>
  (c) =>
    kind === 'uniform' ? uniform(Math.sqrt((3 * scale) / fan(c)), c) : truncatedNormal(Math.sqrt(scale / fan(c)) / 0.87962566103423978, c);

const fanAvg = (c: InitContext) => (c.fanIn + c.fanOut) / 2;
const fanIn = (c: InitContext) => c.fanIn;

// Keras's Orthogonal (gain 1): the weight seen as [rows = product of all dims but the last, cols],
// from the QR of a normal [max, min] sample, transposed when rows < cols; orthonormal rows or
// columns, whichever are fewer.
const orthogonal: Init = (c) => {
  const cols = c.shape[c.shape.length - 1];
  const rows = c.shape.reduce((n, d) => n * d, 1) / cols;
  const q = run(native.orthonormalize, handleOf(randn([Math.max(rows, cols), Math.min(rows, cols)], { device: c.device })));
  return (rows < cols ? q.transpose(0, 1) : q).reshape(c.shape);
};

const INITIALIZERS: Record<string, Init> = {
  zeros: (c) => zeros(c.shape, { device: c.device }),
  ones: (c) => full(c.shape, 1, { device: c.device }),
  glorotUniform: scaled(1, fanAvg, 'uniform'),
  glorotNormal: scaled(1, fanAvg, 'normal'),
  heUniform: scaled(2, fanIn, 'uniform'),
  heNormal: scaled(2, fanIn, 'normal'),
  lecunUniform: scaled(1, fanIn, 'uniform'),
  lecunNormal: scaled(1, fanIn, 'normal'),
  randomUniform: (c) => uniform(0.05, c),
  randomNormal: (c) => randn(c.shape, { device: c.device }).mul(0.05),
  orthogonal,
};

/** 'glorot_uniform' → 'glorotUniform'. */
export function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Checks an initializer name, returning its camelCase spelling. */
export function checkInitializer(owner: string, what: string, name: unknown): InitializerName {
  const key = typeof name === 'string' ? camelCase(name) : '';
  if (ownEntry(INITIALIZERS, key) === undefined) {
    throw new RangeError(`${owner}: unknown ${what} ${describeValue(name)} (expected one of ${Object.keys(INITIALIZERS).join(', ')})`);
  }
  return key as InitializerName;
}

/** A new tensor filled by the named initializer. */
export function initialize(name: InitializerName, context: InitContext): Tensor {
  return INITIALIZERS[camelCase(name)](context);
}
