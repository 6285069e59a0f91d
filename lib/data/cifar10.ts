// CIFAR-10 from its binary release: a folder cifar-10-batches-bin with data_batch_1..5.bin,
// test_batch.bin and batches.meta.txt. A record is 3073 bytes: the label, then 1024 red, 1024
// green and 1024 blue bytes, row-major. Each file is read in one call and viewed as [N, 3073];
// libtorch splits labels from pixels and lays the pixels out NHWC, with no per-record loop here.
import { removeStaleTemps } from '../io/stale-temps.js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expectBoolean, expectNonEmptyString, expectString, readOptions } from '../arguments.js';
import { tensor } from '../create.js';
import { keep, tidy } from '../memory.js';
import { cat, type Tensor } from '../tensor.js';
import { downloadCifar10, torchletHome } from './download.js';
import { ImageDataset, imageDatasetSettings, type ImageDatasetOptions } from './image-dataset.js';
import { syntheticSettings, writeSyntheticCifar10, type SyntheticOptions } from './synthetic-cifar10.js';

const RECORD = 3073;
const TRAIN_FILES = [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`);
const TEST_FILE = 'test_batch.bin';
const META_FILE = 'batches.meta.txt';
const FOLDER = 'cifar-10-batches-bin';

/** The loaded data set. */
export interface Cifar10 {
  /** 50,000 training images (uint8, [N, 32, 32, 3]) and labels, with the given augmentation. */
  train: ImageDataset;
  /** 10,000 test images, never augmented. */
  test: ImageDataset;
  /** The 10 class names, from batches.meta.txt. */
  classNames: string[];
}

/** Options of {@link load}. */
export interface Cifar10Options extends ImageDatasetOptions {
  /** The cifar-10-batches-bin folder, or the folder holding it (default: the cache, $TORCHLET_HOME/cifar-10-batches-bin). */
  dir?: string;
  /** Download the official release into the cache when the files are missing (default false). */
  download?: boolean;
}

/** Reads one batch file: its images as uint8 [N, 32, 32, 3] and its labels as int64 [N]. */
export async function readBatchFile(path: string): Promise<{ images: Tensor; labels: Tensor }> {
  expectString('cifar10.readBatchFile', 'path', path);
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`CIFAR-10: cannot read ${path} (${error.code === 'ENOENT' ? 'missing file' : (error.code ?? error.message)})`);
  });
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new Error(
      `CIFAR-10: ${path} is truncated or not a CIFAR-10 batch: ${bytes.length} bytes is not a whole number of ${RECORD}-byte records`,
    );
  }
  const n = bytes.length / RECORD;
  return tidy(() => {
    const records = tensor(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), [n, RECORD]);
    const labels = records.narrow(1, 0, 1).squeeze(1);
    if ((labels.max().item() as number) > 9) {
      const bad = labels.gt(9).to('uint8').argmax().item() as number;
      throw new Error(`CIFAR-10: ${path} has a bad label ${bytes[bad * RECORD]} in record ${bad} (labels are 0..9)`);
    }
    // [N, 3, 32, 32] planes → NHWC, in one libtorch copy.
    const images = records
      .narrow(1, 1, RECORD - 1)
      .reshape([n, 3, 32, 32])
      .permute([0, 2, 3, 1])
      .contiguous();
    return { images: keep(images), labels: keep(labels.to('int64')) };
  });
}

// The batches folder: `dir` itself, or dir/cifar-10-batches-bin.
function batchesFolder(dir: string): string {
  return existsSync(join(dir, FOLDER)) && !existsSync(join(dir, TRAIN_FILES[0])) ? join(dir, FOLDER) : dir;
}

/**
 * Loads CIFAR-10 from the binary release: `{ train, test, classNames }`. `augment` applies to the
 * training set only. Every error names the file and what is wrong (missing, truncated, bad label).
 */
export async function load(options?: Cifar10Options): Promise<Cifar10> {
  const api = 'cifar10.load';
  const o = readOptions<Cifar10Options>(api, options, ['dir', 'download', 'augment', 'normalize']);
  if (o.dir !== undefined) expectNonEmptyString(api, 'dir', o.dir);
  if (o.download !== undefined) expectBoolean(api, 'download', o.download);
  // Checked here, before the files are read, and in the name of the call the user made.
  imageDatasetSettings(api, { augment: o.augment, normalize: o.normalize }, [32, 32, 3]);
  let dir = batchesFolder(o.dir ?? join(torchletHome(), FOLDER));
  if (!o.dir) await removeStaleTemps(torchletHome()); // an interrupted download's leftovers
  const expected = [...TRAIN_FILES, TEST_FILE, META_FILE];
  if (o.download && !o.dir && expected.some((f) => !existsSync(join(dir, f)))) dir = await downloadCifar10();
  const missing = expected.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new Error(
      `CIFAR-10: missing file${missing.length > 1 ? 's' : ''} ${missing.map((f) => join(dir, f)).join(', ')}. ` +
        (o.dir
          ? 'Point dir at the cifar-10-batches-bin folder of the binary release'
          : o.download
            ? 'The cache folder is incomplete: remove it and download again'
            : 'Pass download: true (or --download), or put the binary release there by hand'),
    );
  }
  const parts = await Promise.all(TRAIN_FILES.map((f) => readBatchFile(join(dir, f))));
  const testPart = await readBatchFile(join(dir, TEST_FILE));
  const classNames = (await readFile(join(dir, META_FILE), 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (classNames.length !== 10)
    throw new Error(`CIFAR-10: ${join(dir, META_FILE)} should name 10 classes, one per line; it has ${classNames.length}`);
  const train = tidy(() => ({ images: keep(cat(parts.map((p) => p.images))), labels: keep(cat(parts.map((p) => p.labels))) }));
  parts.forEach((p) => [p.images, p.labels].forEach((t) => t.dispose()));
  const { augment, normalize } = o;
  return {
    train: new ImageDataset(train.images, train.labels, { augment, normalize }),
    test: new ImageDataset(testPart.images, testPart.labels, { normalize }),
    classNames,
  };
}

/**
 * Writes a synthetic data set in CIFAR-10's binary format (see writeSyntheticCifar10) and returns
 * its folder, for load({ dir }). Default folder: $TORCHLET_HOME/synthetic-cifar-10/seed-S-TRAIN-TEST,
 * reused when it exists.
 */
export async function synthetic(options?: SyntheticOptions & { dir?: string }): Promise<string> {
  const api = 'cifar10.synthetic';
  const o = readOptions<SyntheticOptions & { dir: string }>(api, options, ['dir', 'train', 'test', 'seed']);
  const { train, test, seed } = syntheticSettings(api, o);
  const dir =
    o.dir === undefined
      ? join(torchletHome(), 'synthetic-cifar-10', `seed-${seed}-${train}-${test}`)
      : expectNonEmptyString(api, 'dir', o.dir);
  // A cached set is used as is; what interrupted runs left beside it goes (writing does the same).
  if (o.dir === undefined && existsSync(join(dir, META_FILE))) {
    await removeStaleTemps(dirname(dir));
    return dir;
  }
  return writeSyntheticCifar10(dir, { train, test, seed });
}
