// Optimizers by name, as compile() and loadModel() take them.
import { describeValue, ownEntry } from '../arguments.js';
import { Adam, Adamax, AdamW, Nadam } from './adam.js';
import { Lion } from './lion.js';
import type { Optimizer, OptimizerConfig } from './optimizer.js';
import { Adagrad, RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';

/** Optimizer names compile() accepts (case-insensitive, as Keras's), with default hyper-parameters. */
export type OptimizerName =
  | 'adam'
  | 'adamw'
  | 'sgd'
  | 'rmsprop'
  | 'adagrad'
  | 'adamax'
  | 'nadam'
  | 'lion'
  | 'Adam'
  | 'AdamW'
  | 'SGD'
  | 'RMSprop'
  | 'Adagrad'
  | 'Adamax'
  | 'Nadam'
  | 'Lion';

const OPTIMIZERS: Record<string, (options?: OptimizerConfig) => Optimizer> = {
  adam: (o) => new Adam(o),
  adamw: (o) => new AdamW(o),
  sgd: (o) => new SGD(o),
  rmsprop: (o) => new RMSprop(o),
  adagrad: (o) => new Adagrad(o),
  adamax: (o) => new Adamax(o),
  nadam: (o) => new Nadam(o),
  lion: (o) => new Lion(o),
};
const NAMES = Object.keys(OPTIMIZERS)
  .map((n) => `'${n}'`)
  .join(', ');

/** A new optimizer of the kind named (case-insensitive), with `options` over its defaults. */
export function makeOptimizer(name: string, options?: OptimizerConfig): Optimizer {
  // Own keys only: 'constructor' or 'toString' must not find Object.prototype's members.
  const make = ownEntry(OPTIMIZERS, name.toLowerCase());
  if (!make) throw new RangeError(`compile: unknown optimizer ${describeValue(name)} (expected one of ${NAMES}, or an Optimizer)`);
  return make(options);
}

/** compile()'s optimizer argument: a name, or an Optimizer (anything with attach and step). */
export function resolveOptimizer(spec: unknown): Optimizer {
  if (typeof spec === 'string') return makeOptimizer(spec);
  if (spec && typeof (spec as Optimizer).attach === 'function' && typeof (spec as Optimizer).step === 'function') return spec as Optimizer;
  throw new TypeError(`compile: optimizer must be a name (${NAMES}) or an Optimizer, got ${describeValue(spec)}`);
}
