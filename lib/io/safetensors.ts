// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw
// little-endian data. Writes are atomic: a temporary file, then a rename.
import { open, readFile, rename, rm } from 'node:fs/promises';
import type { Dtype, Tensor } from '../tensor.js';

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
const FROM_FORMAT = Object.fromEntries(Object.entries(TO_FORMAT).map(([d, f]) => [f, d])) as Record<string, Dtype>;
const BYTES: Record<string, number> = { F32: 4, F64: 8, I8: 1, I16: 2, I32: 4, I64: 8, U8: 1, BOOL: 1 };

/** A tensor as stored: its dtype, shape and raw little-endian bytes. */
export interface StoredTensor {
  dtype: Dtype;
  shape: number[];
  bytes: Uint8Array;
}

/** Writes `tensors` (name → tensor, in order) and string `metadata` to `path`, atomically. */
export async function writeSafetensors(path: string, tensors: [string, Tensor][], metadata: Record<string, string> = {}): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const format = TO_FORMAT[tensor.dtype];
    if (!format) throw new TypeError(`safetensors: cannot store '${name}' of dtype ${tensor.dtype}`);
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
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const file = await open(temp, 'w');
  try {
    await file.write(head);
    await file.write(Buffer.from(json));
    for (const chunk of chunks) await file.write(chunk);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temp, { force: true });
    throw error;
  }
  await file.close();
  await rename(temp, path);
}

/** Reads a safetensors file; every inconsistency is an error naming the file and what is wrong. */
export async function readSafetensors(path: string): Promise<{ tensors: Map<string, StoredTensor>; metadata: Record<string, string> }> {
  const buffer = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${path}: cannot read (${error.code ?? error.message})`);
  });
  const fail = (what: string): never => {
    throw new Error(`${path}: not a valid safetensors file: ${what}`);
  };
  if (buffer.length < 8) fail(`only ${buffer.length} bytes`);
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (8 + headerLength > buffer.length) fail(`truncated: the header needs ${headerLength} bytes, the file has ${buffer.length - 8} after the length`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8'));
  } catch {
    return fail('the header is not JSON');
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, StoredTensor>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = value as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const dtype = FROM_FORMAT[entry?.dtype];
    if (!dtype) fail(`'${name}' has unsupported dtype ${JSON.stringify(entry?.dtype)}`);
    const [begin, end] = entry.data_offsets ?? [];
    const count = (entry.shape ?? []).reduce((a: number, b: number) => a * b, 1);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || end - begin !== count * BYTES[entry.dtype]) {
      fail(`'${name}' has byte range [${begin}, ${end}], which does not hold shape [${entry.shape}] of ${entry.dtype}`);
    }
    if (dataStart + end > buffer.length) fail(`truncated: '${name}' ends at byte ${dataStart + end}, the file has ${buffer.length}`);
    tensors.set(name, { dtype, shape: entry.shape, bytes: new Uint8Array(buffer.buffer, buffer.byteOffset + dataStart + begin, end - begin) });
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string>) ?? {} };
}
