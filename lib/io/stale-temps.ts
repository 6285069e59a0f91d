// Temporaries that a killed process left behind. Every temporary torchlet writes is named
// `<target>.tmp-<pid>-<random>` (a file from writeFileAtomic, a folder for the dataset caches);
// one whose process is gone can never be finished, so the next save or load removes it.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../process-alive.js';

const TEMP = /\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * Removes, in `dir`, the temporaries of processes that no longer run (never this one's, nor those of
 * a live process, which may still be writing). Best effort: an unreadable folder is left as it is.
 * Returns the names removed.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((name) => {
    const pid = Number(TEMP.exec(name)?.[1]);
    return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid);
  });
  await Promise.all(stale.map((name) => rm(join(dir, name), { recursive: true, force: true }).catch(() => {})));
  return stale;
}
