// Data augmentation on the device, per example, on NHWC image batches of any dtype (the CIFAR
// pipeline runs it on uint8, before the conversion to float, to move 4x fewer bytes).
import { expectInteger } from '../arguments.js';
import { arange, rand, randint } from '../create.js';
import { expectTensor, type Tensor } from '../tensor.js';

// `images` when it is a live [N, H, W, C] tensor.
function imageBatch(api: string, images: unknown): Tensor {
  const t = expectTensor(api, 'images', images);
  if (t.rank !== 4) throw new RangeError(`${api}: images must be a 4-D [N, height, width, channels] batch, got shape [${t.shape}]`);
  return t;
}

/** `padding` for crops of h x w images: a non-negative integer less than both, since with more a window could hold no pixel of the image. */
export function expectCropPadding(api: string, name: string, padding: unknown, h: number, w: number): number {
  const p = expectInteger(api, name, padding, 0);
  if (p > 0 && p >= Math.min(h, w))
    throw new RangeError(`${api}: ${name} must be less than the image's height and width (${h} x ${w}), got ${p}`);
  return p;
}

/** Flips each image of an [N, H, W, C] batch left-right with probability 1/2. */
export function randomFlip(images: Tensor): Tensor {
  imageBatch('randomFlip', images);
  const flip = rand([images.shape[0], 1, 1, 1], { device: images.device }).lt(0.5);
  return images.flip([2]).where(flip, images);
}

/**
 * Crops each image of an [N, H, W, C] batch at a random offset from the image zero-padded by
 * `padding` pixels on every side, keeping the size H x W.
 */
export function randomCrop(images: Tensor, padding: number): Tensor {
  imageBatch('randomCrop', images);
  const [n, h, w, c] = images.shape;
  if (expectCropPadding('randomCrop', 'padding', padding, h, w) === 0) return images;
  const device = images.device;
  const padded = images.pad([0, 0, padding, padding, padding, padding]);
  // Row and column indices of each example's window, gathered along H, then along W.
  const rows = randint(0, 2 * padding + 1, [n, 1], { device }).add(arange(h, { device }).unsqueeze(0));
  const cols = randint(0, 2 * padding + 1, [n, 1], { device }).add(arange(w, { device }).unsqueeze(0));
  const byRow = padded.gather(1, rows.view([n, h, 1, 1]).expand([n, h, w + 2 * padding, c]));
  return byRow.gather(2, cols.view([n, 1, w, 1]).expand([n, h, w, c]));
}
