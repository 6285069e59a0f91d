// Creating a folder and its parents (mkdir -p) without Node's hang.
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * mkdir -p, one level at a time: Node's own recursive mkdir loops forever where a parent exists
 * but mkdir in it fails with ENOENT (under /proc, say), and would hang the caller. With `api`, a
 * failure is an Error naming it and the folder.
 */
export async function makeDirectory(dir: string, api?: string): Promise<void> {
  try {
    await makeEach(dir);
  } catch (error) {
    if (api === undefined || !(error instanceof Error)) throw error;
    throw new Error(`${api}: cannot create the folder ${dir} (${error.message})`, { cause: error });
  }
}

async function makeEach(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && dirname(dir) !== dir) {
      await makeEach(dirname(dir));
      await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
        if (again.code !== 'EEXIST') throw again;
      });
    } else if (code !== 'EEXIST') throw error;
  }
  if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('EEXIST: a file is in the way'), { code: 'EEXIST' });
}
