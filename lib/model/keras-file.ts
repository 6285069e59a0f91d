// Keras 3 `.keras` files at the level of the model: which paths are such files, and where Keras's
// HDF5 file keeps each layer's weights (layers/<class in snake_case, numbered per class>/vars/<k>).
// keras-load.ts reads a Sequential from one and keras-save.ts writes one; the per-layer conversions
// are keras-layers.ts's table, the zip and HDF5 container keras-archive.ts's. Compile settings are
// neither written nor read: a loaded model comes back uncompiled.
import { snakeCase } from './snake-case.js';

/** The Keras version whose file format torchlet writes (and tests against). */
export const KERAS_FORMAT_VERSION = '3.15.1';

/** True for a path that names a `.keras` file (rather than a model folder). */
export function isKerasFile(path: unknown): path is string {
  return typeof path === 'string' && path.endsWith('.keras');
}

/** Keras's names for the weight groups of a model's layers: snake_case class names, numbered per class (conv2d, conv2d_1 ...). */
export function weightGroups(classNames: string[]): string[] {
  const used = new Map<string, number>();
  return classNames.map((className) => {
    const base = snakeCase(className);
    const count = used.get(base);
    used.set(base, count === undefined ? 0 : count + 1);
    return `layers/${count === undefined ? base : `${base}_${count + 1}`}`;
  });
}
