// The Keras 3 `.keras` container, below the model: a zip (fflate) of metadata.json, config.json
// and model.weights.h5, an HDF5 file (h5wasm) whose datasets are read into and written from a map
// of paths to float32 arrays. What the JSON and the arrays mean is keras-file.ts's business.
// h5wasm is HDF5 compiled to WebAssembly with an in-memory file system: each call gets its own
// file there, removed before it returns, and HDF5's errors are made to throw (not to print).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { writeFileAtomic } from './atomic-write.js';

/** A dataset of a weights file: its values (float32, row-major) and its shape. */
export interface KerasArray {
  values: Float32Array;
  shape: number[];
}

/** What a `.keras` file holds: its two JSON files, parsed, and the weights by HDF5 path. */
export interface KerasArchive {
  metadata: unknown;
  config: unknown;
  /** Datasets by path, e.g. 'layers/conv2d/vars/0'. */
  arrays: Map<string, KerasArray>;
  /** Groups by path ('layers/conv2d/vars'), with their string attributes, as Keras writes them. */
  groups: Map<string, Record<string, string>>;
}

const METADATA = 'metadata.json';
const CONFIG = 'config.json';
const WEIGHTS = 'model.weights.h5';

type H5Library = (typeof import('h5wasm'))['default'];
type H5Module = Awaited<H5Library['ready']>;
interface Hdf5 {
  library: H5Library;
  module: H5Module;
}
let started: Promise<Hdf5> | null = null;

// The WebAssembly HDF5, loaded on first use (not when torchlet is imported: instantiating it
// reserves gigabytes of address space, which a process under `ulimit -v` may not have) and then
// kept; its errors throw JS errors instead of printing to stderr. A failed start is an Error
// naming `api`, and the next call tries again.
async function hdf5(api: string): Promise<Hdf5> {
  started ??= import('h5wasm').then(async ({ default: library }) => {
    const module = await library.ready;
    module.activate_throwing_error_handler();
    return { library, module };
  });
  try {
    return await started;
  } catch (error) {
    started = null;
    throw new Error(`${api}: cannot start h5wasm, the WebAssembly HDF5 (${error instanceof Error ? error.message : String(error)})`, {
      cause: error,
    });
  }
}

// An HDF5 error's first useful line: h5wasm's message holds HDF5's whole error stack.
function hdf5Message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n').map((l) => l.trim());
  const minor = lines.filter((l) => l.startsWith('minor:')).pop();
  const last = lines.filter((l) => /^#\d+:/.test(l)).pop();
  const detail = last?.replace(/^#\d+:.*\):\s*/, '');
  return [detail, minor?.replace('minor: ', '')].filter(Boolean).join(': ') || text.split('\n')[0];
}

// A file name of its own in h5wasm's in-memory file system, removed when `use` ends.
function withMemoryFile<T>(m: H5Module, bytes: Uint8Array | null, use: (name: string) => T): T {
  const name = `/torchlet-${process.pid}-${randomBytes(8).toString('hex')}.h5`;
  try {
    if (bytes) m.FS.writeFile(name, bytes);
    return use(name);
  } finally {
    try {
      m.FS.unlink(name);
    } catch {
      // never created
    }
  }
}

/** Reads the `.keras` file at `path`; any problem is an Error naming `api` and the file. */
export async function readKerasArchive(api: string, path: string): Promise<KerasArchive> {
  const fail = (what: string): never => {
    throw new Error(`${api}: ${path} is not a readable .keras file: ${what}`);
  };
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${api}: cannot read ${path} (${error.code ?? error.message})`);
  });
  let files: Record<string, Uint8Array> = {};
  try {
    files = unzipSync(bytes, { filter: (file) => [METADATA, CONFIG, WEIGHTS].includes(file.name) });
  } catch (error) {
    fail(`not a zip archive, or a damaged one (${error instanceof Error ? error.message : String(error)})`);
  }
  const json = (name: string, required: boolean): unknown => {
    const file = files[name] as Uint8Array | undefined;
    if (!file) return required ? fail(`the archive has no ${name}`) : null;
    try {
      return JSON.parse(strFromU8(file));
    } catch {
      return fail(`its ${name} is not JSON`);
    }
  };
  const config = json(CONFIG, true);
  const metadata = json(METADATA, false);
  const weights = files[WEIGHTS] as Uint8Array | undefined;
  if (!weights) fail(`the archive has no ${WEIGHTS} (sharded or .npz weights are not supported)`);
  const { library, module } = await hdf5(api);
  try {
    const { arrays, groups } = withMemoryFile(module, weights!, (name) => readHdf5(library, name));
    return { metadata, config, arrays, groups };
  } catch (error) {
    return fail(`its ${WEIGHTS} is not a readable HDF5 file (${hdf5Message(error)})`);
  }
}

// Every dataset of the HDF5 file `name` as float32, and every group's string attributes.
function readHdf5(h5wasm: H5Library, name: string): { arrays: Map<string, KerasArray>; groups: Map<string, Record<string, string>> } {
  const file = new h5wasm.File(name, 'r');
  const arrays = new Map<string, KerasArray>();
  const groups = new Map<string, Record<string, string>>();
  try {
    const visit = (group: InstanceType<typeof h5wasm.Group>, prefix: string): void => {
      for (const key of group.keys()) {
        const path = prefix === '' ? key : `${prefix}/${key}`;
        const entry = group.get(key);
        if (entry instanceof h5wasm.Group) {
          const attrs: Record<string, string> = {};
          for (const [k, attr] of Object.entries(entry.attrs)) {
            const value = attr.value;
            if (typeof value === 'string') attrs[k] = value;
          }
          groups.set(path, attrs);
          visit(entry, path);
        } else if (entry instanceof h5wasm.Dataset) {
          const shape = entry.shape ?? [];
          const value = entry.value;
          // Keras stores float32 weights; others (an optimizer's int64 step count) are not weights.
          if (value instanceof Float32Array) arrays.set(path, { values: value.slice(), shape });
          else if (value instanceof Float64Array) arrays.set(path, { values: Float32Array.from(value), shape });
        }
      }
    };
    visit(file, '');
  } finally {
    file.close();
  }
  return { arrays, groups };
}

/** What a save writes into a `.keras` file. */
export interface KerasArchiveContents {
  metadata: unknown;
  config: unknown;
  /** Groups to create (parents first), with string attributes. */
  groups: [string, Record<string, string>][];
  /** Datasets by path; their groups must be in `groups`. */
  arrays: [string, KerasArray][];
}

/** Writes a `.keras` file to `path` atomically (a temporary file, then a rename). */
export async function writeKerasArchive(api: string, path: string, contents: KerasArchiveContents): Promise<void> {
  const { library, module: m } = await hdf5(api);
  let weights: Uint8Array;
  try {
    weights = withMemoryFile(m, null, (name) => {
      const file = new library.File(name, 'w');
      try {
        for (const [group, attrs] of contents.groups) {
          const created = file.create_group(group);
          for (const [k, v] of Object.entries(attrs)) created.create_attribute(k, v);
        }
        for (const [dataset, { values, shape }] of contents.arrays) {
          file.create_dataset({ name: dataset, data: values, shape, dtype: '<f' });
        }
      } finally {
        file.close();
      }
      return m.FS.readFile(name);
    });
  } catch (error) {
    throw new Error(`${api}: cannot write the weights of ${path} (${hdf5Message(error)})`, { cause: error });
  }
  // Stored, not deflated, as Keras writes them: Keras reads the weights from the zip in place.
  const zip = zipSync(
    {
      [METADATA]: strToU8(JSON.stringify(contents.metadata)),
      [CONFIG]: strToU8(JSON.stringify(contents.config)),
      [WEIGHTS]: weights,
    },
    { level: 0 },
  );
  await writeFileAtomic(path, [zip], api);
}
