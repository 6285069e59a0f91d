// A generated stand-in for CIFAR-10, written in its binary format: ten classes of procedurally
// drawn shapes and textures that a small CNN can learn, for tests and benchmarks without the download.
import { makeDirectory } from '../io/make-directory.js';
import { removeStaleTemps } from '../io/stale-temps.js';
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { expectInteger, expectNonEmptyString, readOptions } from '../arguments.js';

/** The 10 class names, in label order (0..9). */
export const SYNTHETIC_CLASS_NAMES: readonly string[] = Object.freeze([
  'circle',
  'ring',
  'square',
  'square-outline',
  'triangle',
  'plus',
  'horizontal-stripes',
  'vertical-stripes',
  'checkerboard',
  'diagonal-stripes',
]);

/** Sizes and seed of the generated set. */
export interface SyntheticOptions {
  /** Training images, split over data_batch_1..5.bin (default 50000; at least 5, so that no batch file is empty). */
  train?: number;
  /** Test images, in test_batch.bin (default 10000). */
  test?: number;
  /** Seed of the generator: equal options give byte-identical files (default 0). */
  seed?: number;
}

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;
const TRAIN_FILES = 5;
// Luminance by which foreground and background differ: low enough that noise, a background
// gradient and clutter make some images hard, as in real photographs.
const MIN_CONTRAST = 16;

type Random = () => number;
// True where pixel (x, y) of one image is foreground.
type Pattern = (x: number, y: number) => boolean;

function mulberry32(state: number): Random {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Distinct seeds give distinct states (the mix is a bijection), and each split has its own stream.
function streamState(seed: number, stream: number): number {
  let h = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296), 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// A shape's centre and half-size (it may reach past the border by a quarter of its size), and a
// stroke half-width.
function place(random: Random): { cx: number; cy: number; r: number; t: number } {
  const r = 3.5 + random() * 8;
  const span = SIDE - 1 - 1.5 * r;
  return { cx: 0.75 * r + random() * span, cy: 0.75 * r + random() * span, r, t: 1 + random() * 1.5 };
}

// Stripes of a random period (4..11 px) and phase across direction `angle` (radians, jittered by
// up to ±0.5, so that the orientations of the stripe classes overlap a little and some images
// are ambiguous, as in real data), inside a random window covering at least half of each side.
function stripes(random: Random, angle: number): Pattern {
  const period = 4 + random() * 7;
  const phase = random() * period;
  const a = angle + (random() - 0.5);
  const [c, s] = [Math.cos(a), Math.sin(a)];
  const inside = window(random);
  // Shifted by 2 * SIDE so that % sees no negative numbers.
  return (x, y) => inside(x, y) && (x * c + y * s + 2 * SIDE + phase) % period < period / 2;
}

// A random axis-aligned window covering at least half of the image along each side.
function window(random: Random): Pattern {
  const w = SIDE * (0.5 + random() * 0.5);
  const h = SIDE * (0.5 + random() * 0.5);
  const left = random() * (SIDE - w);
  const top = random() * (SIDE - h);
  return (x, y) => x >= left && x < left + w && y >= top && y < top + h;
}

// Indexed by label: each draws one image's random parameters and returns its pattern.
const PATTERNS: ((random: Random) => Pattern)[] = [
  (random) => {
    const { cx, cy, r } = place(random);
    return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  },
  (random) => {
    const { cx, cy, r, t } = place(random);
    return (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - (r - t)) <= t;
  },
  (random) => {
    const { cx, cy, r } = place(random);
    return (x, y) => Math.abs(x - cx) <= r && Math.abs(y - cy) <= r;
  },
  (random) => {
    const { cx, cy, r, t } = place(random);
    return (x, y) => {
      const d = Math.max(Math.abs(x - cx), Math.abs(y - cy));
      return d <= r && d >= r - 2 * t;
    };
  },
  (random) => {
    const { cx, cy, r } = place(random);
    return (x, y) => Math.abs(y - cy) <= r && Math.abs(x - cx) <= (y - cy + r) / 2;
  },
  (random) => {
    const { cx, cy, r, t } = place(random);
    return (x, y) => {
      const dx = Math.abs(x - cx);
      const dy = Math.abs(y - cy);
      return (dx <= t && dy <= r) || (dy <= t && dx <= r);
    };
  },
  (random) => stripes(random, Math.PI / 2),
  (random) => stripes(random, 0),
  (random) => {
    const cell = 2.5 + random() * 3.5;
    const px = random() * 2 * cell;
    const py = random() * 2 * cell;
    const inside = window(random);
    return (x, y) => inside(x, y) && ((Math.floor((x + px) / cell) + Math.floor((y + py) / cell)) & 1) === 1;
  },
  (random) => stripes(random, random() < 0.5 ? Math.PI / 4 : -Math.PI / 4),
];

// Up to six blobs of random colour at random places, unrelated to the class; large ones occlude.
const CLUTTER = 6;

const luminance = (c: Float64Array, at: number) => 0.299 * c[at] + 0.587 * c[at + 1] + 0.114 * c[at + 2];

function fillRecords(bytes: Uint8ClampedArray, count: number, random: Random): void {
  // Background RGB, then foreground RGB.
  const colours = new Float64Array(6);
  for (let i = 0, o = 0; i < count; i++, o += RECORD) {
    const label = Math.floor(random() * 10);
    const pattern = PATTERNS[label](random);
    // Colours are drawn independently of the class, either one the lighter.
    do {
      for (let c = 0; c < 6; c++) colours[c] = random() * 256;
    } while (Math.abs(luminance(colours, 3) - luminance(colours, 0)) < MIN_CONTRAST);
    const brightness = 0.7 + random() * 0.6;
    const noise = 24 + random() * 110;
    // A linear brightness gradient across the image, in a random direction.
    const gx = (random() - 0.5) * 3;
    const gy = (random() - 0.5) * 3;
    const blobs = Array.from({ length: Math.floor(random() * (CLUTTER + 1)) }, () => ({
      x: random() * SIDE,
      y: random() * SIDE,
      r: 1 + random() * 3,
      rgb: [random() * 256, random() * 256, random() * 256],
    }));
    bytes[o] = label;
    for (let y = 0, p = o + 1; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++, p++) {
        const c = pattern(x, y) ? 3 : 0;
        const shade = (x - SIDE / 2) * gx + (y - SIDE / 2) * gy;
        const blob = blobs.find((b) => Math.abs(x - b.x) <= b.r && Math.abs(y - b.y) <= b.r);
        for (let k = 0; k < 3; k++) {
          const base = blob ? blob.rgb[k] : colours[c + k];
          bytes[p + k * PLANE] = base * brightness + shade + (random() - 0.5) * noise;
        }
      }
    }
  }
}

async function writeRecords(path: string, count: number, random: Random): Promise<void> {
  const buffer = Buffer.alloc(count * RECORD);
  // The clamped view rounds and saturates to 0..255, so the pixel loop needs no clamp of its own.
  fillRecords(new Uint8ClampedArray(buffer.buffer, buffer.byteOffset, buffer.length), count, random);
  await writeSynced(path, buffer);
}

async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  const file = await open(path, 'wx');
  try {
    await file.writeFile(data);
    // On disk before the folder is renamed into place, so a crash cannot publish empty files.
    await file.sync();
  } finally {
    await file.close();
  }
}

/** @internal `options` as `api` received them, checked, with the defaults filled in. */
export function syntheticSettings(api: string, options: SyntheticOptions): Required<SyntheticOptions> {
  const { train = 50000, test = 10000, seed = 0 } = options;
  return {
    train: expectInteger(api, 'train', train, TRAIN_FILES),
    test: expectInteger(api, 'test', test, 1),
    seed: expectInteger(api, 'seed', seed, 0),
  };
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Writes a synthetic 10-class image set into the folder `dir` in the CIFAR-10 binary format:
 * data_batch_1..5.bin (the `train` images in 5 consecutive near-equal parts), test_batch.bin and
 * batches.meta.txt. Defaults: 50000 train and 10000 test images, seed 0. The folder is built
 * beside `dir` and renamed into place when complete, replacing any folder already there.
 * Returns `dir`.
 */
export async function writeSyntheticCifar10(dir: string, options?: SyntheticOptions): Promise<string> {
  const api = 'writeSyntheticCifar10';
  expectNonEmptyString(api, 'dir', dir);
  const { train, test, seed } = syntheticSettings(api, readOptions<SyntheticOptions>(api, options, ['train', 'test', 'seed']));

  await makeDirectory(dirname(dir), api);
  await removeStaleTemps(dirname(dir)); // what an interrupted run left (30 MB each)
  // Random, so that concurrent writers of one folder never share a temporary folder.
  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const temp = join(dirname(dir), `.${basename(dir)}.tmp-${suffix}`);
  await mkdir(temp);
  try {
    const trainRandom = mulberry32(streamState(seed, 0));
    for (let f = 0; f < TRAIN_FILES; f++) {
      const count = Math.floor(train / TRAIN_FILES) + (f < train % TRAIN_FILES ? 1 : 0);
      await writeRecords(join(temp, `data_batch_${f + 1}.bin`), count, trainRandom);
    }
    await writeRecords(join(temp, 'test_batch.bin'), test, mulberry32(streamState(seed, 1)));
    await writeSynced(join(temp, 'batches.meta.txt'), `${SYNTHETIC_CLASS_NAMES.join('\n')}\n`);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }

  // A non-empty folder cannot be renamed over, so the old one steps aside first and goes last.
  // Named as a temporary: if this process dies before removing it, the next run does.
  const old = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const replacing = await exists(dir);
  if (replacing) await rename(dir, old);
  try {
    await rename(temp, dir);
  } catch (error) {
    if (replacing) await rename(old, dir);
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  if (replacing) await rm(old, { recursive: true, force: true });
  return dir;
}
