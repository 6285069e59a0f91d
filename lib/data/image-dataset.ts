// A device-resident image dataset: one uint8 image tensor and one label tensor, uploaded to the
// training device once. Each pass draws its order on the device; each batch is gathered,
// augmented, converted to float and normalised there. Nothing returns to the host per batch.
import { describeValue, expectBoolean, expectInteger, readOptions } from '../arguments.js';
import { tensor } from '../create.js';
import { normalizeDevice } from '../device.js';
import { keep, tidy } from '../memory.js';
import type { Shape } from '../nn/layer.js';
import { expectTensor, type Device, type Tensor } from '../tensor.js';
import { expectCropPadding, randomCrop, randomFlip } from './augment.js';
import { PreparedBatch, readBatchOptions, type Batch, type BatchOptions, type Dataset } from './dataset.js';
import { passOrder } from './order.js';

/** How batches are prepared. */
export interface ImageDatasetOptions {
  /**
   * 'scale' divides by 255, as the reference Keras program does (the default); `{ mean, std }`
   * then subtracts a per-channel mean and divides by a per-channel std (in [0, 1] units).
   */
  normalize?: 'scale' | { mean: number[]; std: number[] };
  /**
   * Random augmentation of each training batch, on the device: `true` means left-right flips and
   * crops from the image padded by 4 pixels; `{ flip, cropPadding }` chooses. Default: none.
   */
  augment?: boolean | { flip?: boolean; cropPadding?: number };
}

// The options of an ImageDataset, checked, with the defaults filled in.
interface Settings {
  flip: boolean;
  cropPadding: number;
  normalize: 'scale' | { mean: number[]; std: number[] };
}

/** @internal `options` as `api` received them, for images of `imageShape` [height, width, channels]: checked, with the defaults filled in. */
export function imageDatasetSettings(api: string, options: unknown, imageShape: Shape): Settings {
  const [height, width, channels] = imageShape;
  const o = readOptions<ImageDatasetOptions>(api, options, ['normalize', 'augment']);
  const augment: { flip?: unknown; cropPadding?: unknown } =
    typeof o.augment === 'boolean'
      ? { flip: o.augment, cropPadding: o.augment ? 4 : 0 }
      : readOptions<{ flip: boolean; cropPadding: number }>(api, o.augment, ['flip', 'cropPadding'], 'augment');
  const cropPadding = expectCropPadding(api, 'augment.cropPadding', augment.cropPadding ?? 0, height, width);
  return {
    flip: expectBoolean(api, 'augment.flip', augment.flip ?? false),
    cropPadding,
    normalize: readNormalize(api, o.normalize ?? 'scale', channels),
  };
}

function readNormalize(api: string, value: unknown, channels: number): Settings['normalize'] {
  if (value === 'scale') return value;
  const bad = `${api}: normalize must be 'scale' or { mean, std } with ${channels} values each (std > 0), got ${describeValue(value)}`;
  if (typeof value !== 'object' || value === null) throw new (typeof value === 'string' ? RangeError : TypeError)(bad);
  const { mean, std } = readOptions<{ mean: unknown; std: unknown }>(api, value, ['mean', 'std'], 'normalize');
  const valid = (v: unknown, positive: boolean): v is number[] =>
    Array.isArray(v) && v.length === channels && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
  if (!valid(mean, false) || !valid(std, true)) throw new RangeError(bad);
  return { mean: [...mean], std: [...std] };
}

// The data on one device, shared by the datasets derived from one another (take, withOptions).
interface Store {
  device: Device | null;
  images: Tensor;
  labels: Tensor;
}

/**
 * Images as uint8 [N, height, width, channels] (NHWC) with int64 labels [N]. Stored NHWC, a batch
 * becomes the model's NCHW layout through a free permute, with channels-last strides.
 */
export class ImageDataset implements Dataset {
  readonly size: number;
  readonly inputShape: Shape;
  readonly #store: Store;
  readonly #settings: Settings;
  #constants: Tensor[] | null = null;

  constructor(images: Tensor, labels: Tensor, options?: ImageDatasetOptions, store?: Store) {
    expectTensor('ImageDataset', 'images', images);
    expectTensor('ImageDataset', 'labels', labels);
    if (images.rank !== 4 || images.dtype !== 'uint8')
      throw new RangeError(`ImageDataset: images must be uint8 [N, height, width, channels], got ${images.dtype} [${images.shape}]`);
    if (labels.rank !== 1 || labels.shape[0] !== images.shape[0]) {
      throw new RangeError(`ImageDataset: expected ${images.shape[0]} labels, got shape [${labels.shape}]`);
    }
    this.size = images.shape[0];
    this.inputShape = images.shape.slice(1);
    this.#settings = imageDatasetSettings('ImageDataset', options, this.inputShape);
    this.#store = store ?? { device: null, images: keep(images), labels: keep(labels) };
  }

  /** The uint8 images, [N, height, width, channels], wherever they live now. */
  get images(): Tensor {
    return this.#store.images;
  }

  /** The int64 labels. */
  get labels(): Tensor {
    return this.#store.labels;
  }

  get targets(): Tensor {
    return this.#store.labels;
  }

  /** The same data with other batch options (sharing storage). */
  withOptions(options: ImageDatasetOptions): ImageDataset {
    imageDatasetSettings('ImageDataset.withOptions', options, this.inputShape);
    return new ImageDataset(this.images, this.labels, options, this.#store);
  }

  /** The first `count` examples (sharing storage), with the same options. */
  take(count: number): ImageDataset {
    const n = Math.min(expectInteger('ImageDataset.take', 'count', count, 1), this.size);
    return new ImageDataset(keep(this.images.narrow(0, 0, n)), keep(this.labels.narrow(0, 0, n)), this.options());
  }

  /** Moves the data to `device` now (batches() does it on first use). Returns this. */
  to(device: Device): this {
    const target = normalizeDevice(device, 'ImageDataset.to');
    const store = this.#store;
    if (store.images.device !== target) {
      const [images, labels] = [keep(store.images.to(target)), keep(store.labels.to(target))];
      store.images.dispose();
      store.labels.dispose();
      Object.assign(store, { images, labels });
    }
    store.device = target;
    return this;
  }

  batches(options: BatchOptions): Iterable<Batch> {
    return this.#batches(readBatchOptions('ImageDataset.batches', options));
  }

  *#batches(options: BatchOptions): Iterable<Batch> {
    this.to(options.device);
    const { images, labels } = this.#store;
    const { normalize, flip, cropPadding } = this.#settings;
    const constants = this.#scale(options.device);
    // uint8 / 255 is float32 in one op (ATen converts, then divides): the same values as converting first.
    const source =
      normalize === 'scale'
        ? { key: 'image:scale', prepare: ([x]: Tensor[]) => x.div(255).permute([0, 3, 1, 2]) }
        : { key: 'image:normalize', prepare: ([x, mean, std]: Tensor[]) => x.to('float32').sub(mean).div(std).permute([0, 3, 1, 2]) };
    for (const { index, start, length } of passOrder(this.size, options)) {
      // The gather and augmentation run here, on uint8; the conversion to float where x is
      // prepared (in a traced step, on the compute thread). The temporaries are freed at once.
      const { inputs, y } = tidy(() => {
        let x = index ? images.indexSelect(0, index) : images.narrow(0, start, length);
        if (flip) x = randomFlip(x);
        x = randomCrop(x, cropPadding);
        return {
          inputs: [x, ...constants],
          y: index ? labels.indexSelect(0, index) : labels.narrow(0, start, length),
        };
      });
      yield new PreparedBatch({ ...source, inputs }, y);
    }
  }

  /** Frees the data (of this dataset and of those derived from it). */
  dispose(): void {
    this.#store.images.dispose();
    this.#store.labels.dispose();
    this.#constants?.forEach((t) => t.dispose());
  }

  private options(): ImageDatasetOptions {
    const { normalize, flip, cropPadding } = this.#settings;
    return { normalize, augment: { flip, cropPadding } };
  }

  // Per-channel mean and std in 0..255 units, so that one subtract and one divide normalise (none
  // to scale); made once per device and kept while the dataset lives, as batches prepared late need them.
  #scale(device: Device): Tensor[] {
    const n = this.#settings.normalize;
    if (n === 'scale') return [];
    if (this.#constants?.[0].device !== device) {
      this.#constants?.forEach((t) => t.dispose());
      this.#constants = [n.mean, n.std].map((values) =>
        keep(
          tensor(
            values.map((v) => v * 255),
            { device },
          ),
        ),
      );
    }
    return this.#constants;
  }
}
