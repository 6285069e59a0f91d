// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw
// little-endian data. Writes are atomic: a temporary file, then a rename.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';
import { expectTensor, type Dtype, type Tensor } from '../tensor.js';
import { describeValue, expectString } from '../arguments.js';

const TO_FORMAT: Partial<Record<Dtype, string>> = {
  float32: 'F32',
  float64: 'F64',
  int8: 'I8',
  int16: 'I16',
  int32: 'I32',
  int64: 'I64',
  uint8: 'U8',
  bool: 'BOOL',
};
// Maps, not objects: a header dtype such as "toString" must not find Object.prototype's members.
const FROM_FORMAT = new Map(Object.entries(TO_FORMAT).map(([d, f]) => [f, d as Dtype]));
const BYTES = new Map([
  ['F32', 4],
  ['F64', 8],
  ['I8', 1],
  ['I16', 2],
  ['I32', 4],
  ['I64', 8],
  ['U8', 1],
  ['BOOL', 1],
]);

/** A tensor as stored: its dtype, shape and raw little-endian bytes (a view into the file's buffer, not necessarily aligned). */
export interface StoredTensor {
  dtype: Dtype;
  shape: number[];
  bytes: Uint8Array;
}

/**
 * Writes `tensors` (name → tensor, in order) and string `metadata` (default none) to `path`,
 * atomically: readers see the old file or the complete new one, never a part.
 */
export function writeSafetensors(path: string, tensors: [string, Tensor][], metadata: Record<string, string> = {}): Promise<void> {
  return writeSafetensorsFor('writeSafetensors', path, tensors, metadata);
}

/** @internal {@link writeSafetensors} for the API `api` (such as saveWeights), which its errors name. */
export async function writeSafetensorsFor(
  api: string,
  path: string,
  tensors: [string, Tensor][],
  metadata: Record<string, string> = {},
): Promise<void> {
  expectString(api, 'path', path);
  const givenMetadata: unknown = metadata; // from JS, anything
  if (typeof givenMetadata !== 'object' || givenMetadata === null || Array.isArray(givenMetadata))
    throw new TypeError(`${api}: metadata must be an object of strings, got ${describeValue(givenMetadata)}`);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string')
      throw new TypeError(`${api}: cannot write ${path}: metadata '${key}' must be a string, got ${typeof value}`);
  }
  if (!Array.isArray(tensors))
    throw new TypeError(`${api}: tensors must be an array of [name, tensor] pairs, got ${describeValue(tensors)}`);
  // Read once and checked before anything is written.
  const pairs = [...(tensors as unknown[])].map((pair, k): [string, Tensor] => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string')
      throw new TypeError(`${api}: tensors[${k}] must be a [name, tensor] pair, got ${describeValue(pair)}`);
    return [pair[0], expectTensor(api, `tensors[${k}][1]`, pair[1])];
  });
  const header: Record<string, unknown> = { __metadata__: { ...metadata } };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of pairs) {
    // A repeated name would keep one header entry but both data chunks: a corrupt file.
    if (name === '__metadata__' || Object.hasOwn(header, name))
      throw new RangeError(`${api}: cannot write ${path}: the tensor name '${name}' is reserved or repeated`);
    const format = TO_FORMAT[tensor.dtype];
    if (!format) throw new TypeError(`${api}: cannot write ${path}: '${name}' has dtype ${tensor.dtype}, which is not supported`);
    const data = tensor.data<Dtype>();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: format, shape: tensor.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  // The spec pads the header with spaces so that the data starts 8-byte aligned.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  await writeFileAtomic(path, [head, json, ...chunks], api);
}

interface HeaderEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Reads a safetensors file; every inconsistency is an error naming the file and what is wrong. */
export function readSafetensors(path: string): Promise<{ tensors: Map<string, StoredTensor>; metadata: Record<string, string> }> {
  return readSafetensorsFor('readSafetensors', path);
}

/** @internal {@link readSafetensors} for the API `api` (such as loadWeights), which its errors name. */
export async function readSafetensorsFor(
  api: string,
  path: string,
): Promise<{ tensors: Map<string, StoredTensor>; metadata: Record<string, string> }> {
  expectString(api, 'path', path);
  const buffer = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${api}: ${path}: cannot read (${error.code ?? error.message})`);
  });
  const fail = (what: string): never => {
    throw new Error(`${api}: ${path}: not a valid safetensors file: ${what}`);
  };
  if (buffer.length < 8) fail(`only ${buffer.length} bytes, fewer than the 8-byte header length`);
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (8 + headerLength > buffer.length)
    fail(`truncated: the header needs ${headerLength} bytes, the file has ${buffer.length - 8} after the length`);
  let header: unknown;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8'));
  } catch {
    return fail('the header is not JSON');
  }
  if (!isObject(header)) return fail('the header is not a JSON object');
  const metadata = header.__metadata__ ?? {};
  if (!isObject(metadata) || !Object.values(metadata).every((v) => typeof v === 'string')) fail('__metadata__ is not an object of strings');

  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isObject(value)) return fail(`'${name}' is not an object`);
    const { dtype: format, shape, data_offsets: offsets } = value;
    const dtype = typeof format === 'string' ? FROM_FORMAT.get(format) : undefined;
    if (!dtype) return fail(`'${name}' has unsupported dtype ${JSON.stringify(format)} (supported: ${[...FROM_FORMAT.keys()].join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      return fail(`'${name}' has shape ${JSON.stringify(shape)}, not a list of sizes`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      return fail(`'${name}' has data_offsets ${JSON.stringify(offsets)}, not a [begin, end] byte range`);
    }
    const [begin, end] = offsets as [number, number];
    const sizes = shape as number[];
    const needed = sizes.reduce((a, b) => a * b, 1) * BYTES.get(format as string)!;
    if (end - begin !== needed) {
      fail(
        `'${name}' has byte range [${begin}, ${end}] (${end - begin} bytes), which does not hold shape [${sizes}] of ${format as string} (${needed} bytes)`,
      );
    }
    entries.push({ name, dtype, shape: sizes, begin, end });
  }

  // The spec asks the byte ranges to tile the data exactly: no overlap, no gap, nothing after.
  const dataStart = 8 + headerLength;
  const dataLength = buffer.length - dataStart;
  let covered = 0;
  for (const entry of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (entry.begin !== covered)
      fail(`'${entry.name}' starts at data byte ${entry.begin}, expected ${covered} (the byte ranges overlap or leave a gap)`);
    if (entry.end > dataLength) fail(`truncated: '${entry.name}' ends at data byte ${entry.end}, the file has ${dataLength} bytes of data`);
    covered = entry.end;
  }
  if (covered !== dataLength) fail(`${dataLength - covered} bytes after the last tensor's data`);

  const tensors = new Map<string, StoredTensor>();
  for (const { name, dtype, shape, begin, end } of entries) {
    tensors.set(name, { dtype, shape, bytes: new Uint8Array(buffer.buffer, buffer.byteOffset + dataStart + begin, end - begin) });
  }
  return { tensors, metadata: metadata as Record<string, string> };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
