// Layer pairs that run as one op. A ReLU Conv2D followed by 'valid' max pooling runs as
// ops.conv2dReluMaxPool, which for an image model's first layer never stores the convolution's
// output (the largest activation of such models); elsewhere the op is the two layers' ops.
import type { Tensor } from '../tensor.js';
import { Conv2D } from './conv.js';
import type { Layer } from './layer.js';
import { MaxPooling2D } from './pooling.js';

/** The call of `layer` then `next` as one op, or null where they do not fuse. */
export function fusedPair(layer: Layer, next: Layer): ((x: Tensor) => Tensor) | null {
  if (!(layer instanceof Conv2D) || layer.activation !== 'relu') return null;
  if (!(next instanceof MaxPooling2D) || next.padding !== 'valid') return null;
  return (x) => layer.callPooled(x, next.poolSize, next.strides);
}
