// Downloading and caching the official CIFAR-10 binary release.
import { makeDirectory } from '../io/make-directory.js';
import { removeStaleTemps } from '../io/stale-temps.js';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { x as extract } from 'tar';
import { describeValue, expectNonEmptyString, readOptions } from '../arguments.js';

/** The binary version of CIFAR-10, as listed on {@link CIFAR10_PAGE}. */
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
/** The MD5 of {@link CIFAR10_URL}, as published on {@link CIFAR10_PAGE}. */
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
/** The CIFAR page, where the dataset can be downloaded by hand. */
export const CIFAR10_PAGE = 'https://www.cs.toronto.edu/~kriz/cifar.html';

const FOLDER = 'cifar-10-batches-bin';
const FIRST_FILE = 'data_batch_1.bin';
const REDRAW_MS = 250;

/** torchlet's cache folder: `$TORCHLET_HOME`, default `~/.cache/torchlet`. */
export function torchletHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.TORCHLET_HOME || join(homedir(), '.cache', 'torchlet');
}

/** Where progress goes: process.stderr fits. */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Options of {@link downloadCifar10}. */
export interface DownloadOptions {
  /** The cache folder (default {@link torchletHome}()). */
  home?: string;
  /** Where to fetch the tarball (default `$TORCHLET_CIFAR10_URL`, else {@link CIFAR10_URL}). */
  url?: string;
  /** The tarball's expected MD5 (default {@link CIFAR10_MD5}). */
  md5?: string;
  /** Where to show progress (default process.stderr; null = silent). */
  progress?: ProgressSink | null;
}

/**
 * Returns `<home>/cifar-10-batches-bin`, downloading, checking (MD5) and extracting the CIFAR-10
 * binary tarball first unless it is already there. The folder appears atomically: a failed or
 * interrupted download never leaves a partial one behind. Defaults as in {@link DownloadOptions}.
 */
export async function downloadCifar10(options?: DownloadOptions): Promise<string> {
  const api = 'downloadCifar10';
  const o = readOptions<DownloadOptions>(api, options, ['home', 'url', 'md5', 'progress']);
  const home = o.home === undefined ? torchletHome() : expectNonEmptyString(api, 'home', o.home);
  const url = o.url === undefined ? process.env.TORCHLET_CIFAR10_URL || CIFAR10_URL : expectNonEmptyString(api, 'url', o.url);
  const md5 = o.md5 === undefined ? CIFAR10_MD5 : expectNonEmptyString(api, 'md5', o.md5);
  const progress = o.progress === undefined ? process.stderr : o.progress;
  if (progress !== null && typeof progress.write !== 'function') {
    throw new TypeError(`${api}: progress must be null or have a write(text) method, got ${describeValue(progress)}`);
  }
  const target = join(home, FOLDER);
  if (existsSync(join(target, FIRST_FILE))) return target;

  await makeDirectory(home, api);
  await removeStaleTemps(home); // what an interrupted download left
  // Temporaries live in `home` so that the final rename stays on one filesystem, hence atomic.
  const temp = join(home, `.${FOLDER}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(temp);
  try {
    const tarball = join(temp, 'cifar-10-binary.tar.gz');
    const actual = await fetchToFile(url, tarball, target, progress);
    if (actual !== md5) {
      throw new Error(`CIFAR-10 download from ${url} is corrupt: its MD5 is ${actual}, expected ${md5}.`);
    }
    const extracted = join(temp, 'extracted');
    await mkdir(extracted);
    await extract({ file: tarball, cwd: extracted });
    if (!existsSync(join(extracted, FOLDER, FIRST_FILE))) {
      throw new Error(`The tarball from ${url} has no ${FOLDER}/${FIRST_FILE}: it is not the CIFAR-10 binary release.`);
    }
    try {
      await rename(join(extracted, FOLDER), target);
    } catch (error) {
      // Another process may have finished the same download first.
      if (!existsSync(join(target, FIRST_FILE))) {
        throw new Error(`Cannot move the extracted CIFAR-10 into ${target} (${describeCause(error)}): remove that folder and run again.`, {
          cause: error,
        });
      }
    }
    return target;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** Streams url into file, drawing progress, and returns the MD5 (hex) of what it wrote. */
async function fetchToFile(url: string, file: string, target: string, progress: ProgressSink | null): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`Cannot download CIFAR-10 from ${url} (${describeCause(error)}).\n${byHand(target)}`, { cause: error });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`Cannot download CIFAR-10 from ${url} (HTTP ${response.status} ${response.statusText}).\n${byHand(target)}`);
  }
  const total = Number(response.headers.get('content-length')) || 0;
  const meter = progressMeter(url, total, progress);
  const hash = createHash('md5');
  let done = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      done += chunk.length;
      meter.update(done);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), counter, createWriteStream(file));
  } catch (error) {
    meter.abort();
    const of = total ? ` of ${total}` : '';
    throw new Error(
      `CIFAR-10 download from ${url} broke off after ${done}${of} bytes (${describeCause(error)}); run again to retry.\n${byHand(target)}`,
      { cause: error },
    );
  }
  meter.finish(done);
  return hash.digest('hex');
}

function byHand(target: string): string {
  return (
    `To install it by hand, download cifar-10-binary.tar.gz from ${CIFAR10_PAGE} and extract it so that ` +
    `${join(target, FIRST_FILE)} exists, or pass a folder holding the extracted files (\`dir\` / \`--data-dir\`).`
  );
}

/** The messages and codes along an error's cause chain: fetch hides ECONNREFUSED and the like in `cause`. */
function describeCause(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: string; code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    // A thrown string or number stands for itself; an object without a message says what it is.
    const message = e.message || e.code || (typeof e === 'object' ? Object.prototype.toString.call(e) : String(e));
    parts.push(e.code && !message.includes(e.code) ? `${message} ${e.code}` : message);
  }
  return parts.join(': ');
}

function progressMeter(url: string, total: number, sink: ProgressSink | null) {
  const start = Date.now();
  let lastDraw = 0;
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  const speed = (bytes: number) => `${mb(bytes / Math.max((Date.now() - start) / 1000, 1e-3))} MB/s`;
  const draw = (done: number) => {
    const width = 30;
    const fraction = total ? Math.min(done / total, 1) : 0;
    const filled = Math.round(fraction * width);
    const bar = total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
    const amount = total ? `${mb(done)}/${mb(total)} MB ${Math.floor(fraction * 100)}%` : `${mb(done)} MB`;
    sink?.write(`\rCIFAR-10 ${bar}${amount} ${speed(done)}  `);
  };
  sink?.write(`Downloading CIFAR-10 from ${url}${total ? ` (${mb(total)} MB)` : ''}\n`);
  return {
    update(done: number) {
      if (!sink?.isTTY || Date.now() - lastDraw < REDRAW_MS) return;
      lastDraw = Date.now();
      draw(done);
    },
    finish(done: number) {
      if (sink?.isTTY) {
        draw(done);
        sink.write('\n');
      } else {
        sink?.write(`Downloaded ${mb(done)} MB in ${((Date.now() - start) / 1000).toFixed(1)} s (${speed(done)})\n`);
      }
    },
    abort() {
      if (sink?.isTTY && lastDraw) sink.write('\n');
    },
  };
}
