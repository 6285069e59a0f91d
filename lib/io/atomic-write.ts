// Atomic file writes: a temporary file next to the target, synced, then renamed over it, so that
// readers see the old file or the complete new one, never a part.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

const tempName = (path: string) => `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;

/** Writes `text` to `path` atomically, synchronously (for the build scripts' small records). */
export function writeFileAtomicSync(path: string, text: string): void {
  const temp = tempName(path);
  try {
    const fd = openSync(temp, 'wx');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Writes `chunks` to `path` atomically. With `api`, a failure is an Error naming it and the file. */
export async function writeFileAtomic(path: string, chunks: (Uint8Array | string)[], api?: string): Promise<void> {
  try {
    await writeThrough(path, chunks);
  } catch (error) {
    if (api === undefined || !(error instanceof Error)) throw error;
    throw new Error(`${api}: cannot write ${path} (${error.message})`, { cause: error });
  }
}

async function writeThrough(path: string, chunks: (Uint8Array | string)[]): Promise<void> {
  // Random, so that two writes to one path in the same millisecond never share a temporary file.
  const temp = tempName(path);
  const file = await open(temp, 'wx');
  try {
    try {
      for (const chunk of chunks) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        // write() may write less than asked (e.g. over 2 GiB); go on until the chunk is done.
        for (let done = 0; done < bytes.length;) done += (await file.write(bytes, done)).bytesWritten;
      }
      // On disk before the rename, so that a crash cannot leave an empty file behind.
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
