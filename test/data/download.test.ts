import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CIFAR10_MD5, CIFAR10_URL, downloadCifar10, torchletHome } from '../../lib/data/download.js';

const FOLDER = 'cifar-10-batches-bin';
const FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];

let root: string;
let good: { bytes: Buffer; md5: string; files: Map<string, Buffer> };
let servers: Server[] = [];

const md5Of = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

/** Writes files into `folder` under a fresh source folder and packs that folder into a .tar.gz. */
async function makeTarball(name: string, folder: string, files: Map<string, Buffer>): Promise<Buffer> {
  const source = join(root, `${name}-source`);
  await mkdir(join(source, folder), { recursive: true });
  for (const [file, bytes] of files) await writeFile(join(source, folder, file), bytes);
  const file = join(root, `${name}.tar.gz`);
  await tar.c({ gzip: true, file, cwd: source }, [folder]);
  return readFile(file);
}

/** Two 3073-byte CIFAR records (label, then 3072 pixel bytes) that differ from file to file. */
function records(seed: number): Buffer {
  const bytes = Buffer.alloc(2 * 3073);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + seed * 31) & 255;
  bytes[0] = seed % 10;
  bytes[3073] = (seed + 1) % 10;
  return bytes;
}

async function serve(handler: RequestListener): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((request, response) => {
    requests++;
    handler(request, response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/cifar-10-binary.tar.gz`, requests: () => requests };
}

function serveBytes(bytes: Buffer) {
  return serve((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': bytes.length });
    response.end(bytes);
  });
}

function fakeProgress(isTTY: boolean) {
  return {
    isTTY,
    text: '',
    write(text: string) {
      this.text += text;
    },
  };
}

async function freshHome(): Promise<string> {
  return mkdtemp(join(root, 'home-'));
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'torchlet-download-'));
  const files = new Map(FILES.map((file, k) => [file, records(k)]));
  files.set('batches.meta.txt', Buffer.from('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n'));
  const bytes = await makeTarball('good', FOLDER, files);
  good = { bytes, md5: md5Of(bytes), files };
});

afterEach(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  servers = [];
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('downloadCifar10', () => {
  it('downloads, checks and extracts the tarball, then serves it from the cache without the network', async () => {
    const server = await serveBytes(good.bytes);
    const home = await freshHome();
    const progress = fakeProgress(false);
    const folder = await downloadCifar10({ home, url: server.url, md5: good.md5, progress });
    expect(folder).toBe(join(home, FOLDER));
    expect(await readdir(home)).toEqual([FOLDER]);
    expect((await readdir(folder)).sort()).toEqual([...good.files.keys()].sort());
    for (const [file, bytes] of good.files) expect((await readFile(join(folder, file))).equals(bytes)).toBe(true);
    expect(progress.text).toContain(`Downloading CIFAR-10 from ${server.url}`);
    expect(progress.text).toMatch(/\nDownloaded \d+\.\d MB in \d+\.\d s \([\d.]+ MB\/s\)\n$/);
    expect(progress.text).not.toContain('\r');
    expect(server.requests()).toBe(1);

    const again = await downloadCifar10({ home, url: server.url, md5: good.md5, progress });
    expect(again).toBe(folder);
    expect(server.requests()).toBe(1);
  });

  it('draws a progress bar on a TTY', async () => {
    const server = await serveBytes(good.bytes);
    const progress = fakeProgress(true);
    await downloadCifar10({ home: await freshHome(), url: server.url, md5: good.md5, progress });
    const total = (good.bytes.length / 1e6).toFixed(1);
    expect(progress.text).toContain(`\rCIFAR-10 [${'#'.repeat(30)}] ${total}/${total} MB 100% `);
    expect(progress.text).toMatch(/MB\/s {2}\n$/);
  });

  it('fetches from $TORCHLET_CIFAR10_URL when no url is given', async () => {
    const server = await serveBytes(good.bytes);
    const saved = process.env.TORCHLET_CIFAR10_URL;
    process.env.TORCHLET_CIFAR10_URL = server.url;
    try {
      await downloadCifar10({ home: await freshHome(), md5: good.md5, progress: null });
    } finally {
      if (saved === undefined) delete process.env.TORCHLET_CIFAR10_URL;
      else process.env.TORCHLET_CIFAR10_URL = saved;
    }
    expect(server.requests()).toBe(1);
  });

  it('rejects a tarball with the wrong MD5, naming both, and leaves nothing behind', async () => {
    const server = await serveBytes(good.bytes);
    const home = await freshHome();
    const error = await failure(downloadCifar10({ home, url: server.url, md5: CIFAR10_MD5, progress: null }));
    expect(error.message).toContain(server.url);
    expect(error.message).toContain(`MD5 is ${good.md5}, expected ${CIFAR10_MD5}`);
    expect(await readdir(home)).toEqual([]);
  });

  it('fails clearly when the server closes the connection mid-body, leaving nothing behind', async () => {
    const half = good.bytes.subarray(0, good.bytes.length >> 1);
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'Content-Length': good.bytes.length });
      response.write(half, () => response.socket?.destroy());
    });
    const home = await freshHome();
    const progress = fakeProgress(true);
    const error = await failure(downloadCifar10({ home, url: server.url, md5: good.md5, progress }));
    expect(error.message).toMatch(new RegExp(`broke off after \\d+ of ${good.bytes.length} bytes .*run again to retry`));
    expect(await readdir(home)).toEqual([]);
  });

  it('says where to put the files by hand when the server cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const home = await freshHome();
    const url = `http://127.0.0.1:${port}/cifar-10-binary.tar.gz`;
    const error = await failure(downloadCifar10({ home, url, progress: null }));
    expect(error.message).toContain(`Cannot download CIFAR-10 from ${url}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html');
    expect(error.message).toContain(`${join(home, FOLDER, 'data_batch_1.bin')} exists`);
    expect(error.message).toContain('`--data-dir`');
    expect(await readdir(home)).toEqual([]);
  });

  it('names the HTTP status of a failed request', async () => {
    const server = await serve((_request, response) => {
      response.statusCode = 404;
      response.end('not here');
    });
    const home = await freshHome();
    const error = await failure(downloadCifar10({ home, url: server.url, progress: null }));
    expect(error.message).toMatch(/\(HTTP 404 Not Found\)[^]*extract it so that/);
    expect(await readdir(home)).toEqual([]);
  });

  it('rejects a tarball without cifar-10-batches-bin/data_batch_1.bin, leaving nothing behind', async () => {
    const bytes = await makeTarball('other', 'other-folder', new Map([['data_batch_1.bin', records(0)]]));
    const server = await serveBytes(bytes);
    const home = await freshHome();
    const error = await failure(downloadCifar10({ home, url: server.url, md5: md5Of(bytes), progress: null }));
    expect(error.message).toContain(`The tarball from ${server.url} has no cifar-10-batches-bin/data_batch_1.bin`);
    expect(await readdir(home)).toEqual([]);
  });

  it('rejects a file that is not a tarball, leaving nothing behind', async () => {
    const bytes = Buffer.from('this is not a gzipped tar archive');
    const server = await serveBytes(bytes);
    const home = await freshHome();
    const error = await failure(downloadCifar10({ home, url: server.url, md5: md5Of(bytes), progress: null }));
    expect(error.message).toMatch(/TAR_BAD_ARCHIVE/);
    expect(await readdir(home)).toEqual([]);
  });

  it('points at the official binary release', () => {
    expect(CIFAR10_URL).toBe('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz');
    expect(CIFAR10_MD5).toBe('c32a1d4ab5d03f1284b67883e8d87530');
  });
});

describe('downloadCifar10 options', () => {
  // Nothing listens on port 9 here: the old code, guessing, would fail there instead of naming the option.
  const url = 'http://127.0.0.1:9/cifar-10-binary.tar.gz';

  it('rejects unknown options, suggesting the known one', async () => {
    const home = await freshHome();
    await expect(downloadCifar10({ home, url, progress: null, md55: CIFAR10_MD5 } as never)).rejects.toThrow(
      /^downloadCifar10: unknown option 'md55' \(did you mean 'md5'\?\)$/,
    );
    await expect(downloadCifar10({ home, url, progress: null, cache_home: home } as never)).rejects.toThrow(RangeError);
    await expect(downloadCifar10(home as never)).rejects.toThrow(/^downloadCifar10: options must be a plain object, got ".*"$/);
    expect(await readdir(home)).toEqual([]);
  });

  it('checks the type of each option', async () => {
    const home = await freshHome();
    await expect(downloadCifar10({ home, url: 42 as never, progress: null })).rejects.toThrow(
      /^downloadCifar10: url must be a string, got 42$/,
    );
    await expect(downloadCifar10({ home: '', url, progress: null })).rejects.toThrow(/^downloadCifar10: home must not be empty$/);
    await expect(downloadCifar10({ home, url, progress: 5 as never })).rejects.toThrow(
      /^downloadCifar10: progress must be null or have a write\(text\) method, got 5$/,
    );
    await expect(downloadCifar10({ home, url, progress: {} as never })).rejects.toThrow(TypeError);
    expect(await readdir(home)).toEqual([]);
  });
});

describe('torchletHome', () => {
  it('honours $TORCHLET_HOME and defaults to ~/.cache/torchlet', () => {
    expect(torchletHome({ TORCHLET_HOME: '/data/torchlet' })).toBe('/data/torchlet');
    expect(torchletHome({})).toBe(join(homedir(), '.cache', 'torchlet'));
  });
});
