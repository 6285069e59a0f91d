export { Optimizer } from './optimizer.js';
export type { OptimizerState } from './optimizer.js';
export { Adam, AdamW } from './adam.js';
export type { AdamOptions } from './adam.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
