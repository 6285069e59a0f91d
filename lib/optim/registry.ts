// Optimizers by name, as compile() and loadModel() take them.
import { describeValue, ownEntry } from '../arguments.js';
import type { OptimizerOptions } from '../native.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { SGD } from './sgd.js';

/** Optimizer names compile() accepts (case-insensitive), with default hyper-parameters. */
export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'Adam' | 'AdamW' | 'SGD';

const OPTIMIZERS: Record<string, (options?: OptimizerOptions) => Optimizer> = {
  adam: (o) => new Adam(o),
  adamw: (o) => new AdamW(o),
  sgd: (o) => new SGD(o),
};

/** A new optimizer of the kind named (case-insensitive), with `options` over its defaults. */
export function makeOptimizer(name: string, options?: OptimizerOptions): Optimizer {
  // Own keys only: 'constructor' or 'toString' must not find Object.prototype's members.
  const make = ownEntry(OPTIMIZERS, name.toLowerCase());
  if (!make) throw new RangeError(`compile: unknown optimizer ${describeValue(name)} (expected 'adam', 'adamw', 'sgd' or an Optimizer)`);
  return make(options);
}

/** compile()'s optimizer argument: a name, or an Optimizer (anything with attach and step). */
export function resolveOptimizer(spec: unknown): Optimizer {
  if (typeof spec === 'string') return makeOptimizer(spec);
  if (spec && typeof (spec as Optimizer).attach === 'function' && typeof (spec as Optimizer).step === 'function') return spec as Optimizer;
  throw new TypeError(`compile: optimizer must be a name ('adam', 'adamw', 'sgd') or an Optimizer, got ${describeValue(spec)}`);
}
