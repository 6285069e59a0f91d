import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { storedToTensor } from '../../lib/model/model-file.js';
import { oraclePython } from '../helpers/reference.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'torchlet-safetensors-'));
});

/** Writes a file by hand: the 8-byte length, `header` (JSON-encoded unless a string), then `data`. */
function writeRaw(path: string, header: unknown, data: Uint8Array = new Uint8Array(0)): void {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([length, json, data]));
}

/** A tensor's elements, whatever its dtype. */
const elements = (t: tl.Tensor): (number | bigint)[] => Array.from(t.data<tl.Dtype>() as ArrayLike<number | bigint>);

function headerOf(path: string): { length: number; json: string } {
  const file = readFileSync(path);
  const length = Number(file.readBigUInt64LE(0));
  return { length, json: file.subarray(8, 8 + length).toString('utf8') };
}

describe('safetensors round trip', () => {
  const cases: [string, () => tl.Tensor, tl.Dtype, number[]][] = [
    ['float32', () => tl.tensor(new Float32Array([1.5, -2.25, 3e-8, Infinity, NaN, -0]), [2, 3]), 'float32', [2, 3]],
    ['float64', () => tl.tensor(new Float64Array([Math.PI, -1e-300, 1e300]), [3]), 'float64', [3]],
    ['int8', () => tl.tensor(new Int8Array([-128, 0, 127, 5]), [2, 2]), 'int8', [2, 2]],
    ['int16', () => tl.tensor(new Int16Array([-32768, 32767, 1]), [3, 1]), 'int16', [3, 1]],
    ['int32', () => tl.tensor(new Int32Array([-(2 ** 31), 2 ** 31 - 1]), [1, 2]), 'int32', [1, 2]],
    // Beyond 2^53: only a BigInt64Array keeps these exact.
    ['int64', () => tl.tensor(new BigInt64Array([2n ** 62n + 1n, -(2n ** 63n), 7n])), 'int64', [3]],
    ['uint8', () => tl.tensor(new Uint8Array([0, 200, 255]), [3]), 'uint8', [3]],
    [
      'bool',
      () =>
        tl.tensor([
          [true, false],
          [false, true],
        ]),
      'bool',
      [2, 2],
    ],
    ['0-dim', () => tl.tensor(new Float32Array([2.5]), []), 'float32', []],
    ['empty', () => tl.zeros([0, 3]), 'float32', [0, 3]],
    ['empty int64', () => tl.zeros([2, 0], { dtype: 'int64' }), 'int64', [2, 0]],
  ];

  it.each(cases)('keeps dtype, shape and every byte of %s', async (_, make, dtype, shape) => {
    const original = make();
    const path = join(dir, 't.safetensors');
    await tl.writeSafetensors(path, [['t', original]]);
    const { tensors } = await tl.readSafetensors(path);
    expect([...tensors.keys()]).toEqual(['t']);
    const stored = tensors.get('t')!;
    expect(stored.dtype).toBe(dtype);
    expect(stored.shape).toEqual(shape);
    const data = original.data<tl.Dtype>();
    expect(Buffer.from(stored.bytes)).toEqual(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const restored = storedToTensor(stored);
    expect(restored.dtype).toBe(dtype);
    expect(restored.shape).toEqual(shape);
    // Object.is per element, so NaN, -0 and BigInts count as equal only to themselves.
    expect(elements(restored)).toEqual(elements(original));
  });

  it('keeps several tensors, in order, with a transposed (non-contiguous) one read in its logical order', async () => {
    const path = join(dir, 'many.safetensors');
    const transposed = tl.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]).transpose(0, 1);
    await tl.writeSafetensors(path, [
      ['b/kernel', transposed],
      ['a/bias', tl.tensor(new Int32Array([9, 8]))],
      ['flag', tl.tensor(true)],
    ]);
    const { tensors } = await tl.readSafetensors(path);
    expect([...tensors.keys()]).toEqual(['b/kernel', 'a/bias', 'flag']);
    expect(tensors.get('b/kernel')!.shape).toEqual([3, 2]);
    expect(Array.from(storedToTensor(tensors.get('b/kernel')!).data())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(storedToTensor(tensors.get('a/bias')!).data<'int32'>())).toEqual([9, 8]);
    expect(tensors.get('flag')).toEqual({ dtype: 'bool', shape: [], bytes: new Uint8Array([1]) });
  });

  it('round-trips string metadata, and reads none as {}', async () => {
    const path = join(dir, 'meta.safetensors');
    const metadata = { format: 'pt', note: 'ünïcode ✓ "quoted"', empty: '' };
    await tl.writeSafetensors(path, [['x', tl.ones([2])]], metadata);
    expect((await tl.readSafetensors(path)).metadata).toEqual(metadata);
    writeRaw(path, { x: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array([3]));
    expect((await tl.readSafetensors(path)).metadata).toEqual({});
  });

  it('pads the header with spaces so that the data starts 8-byte aligned, whatever the names', async () => {
    for (let n = 1; n <= 8; n++) {
      const path = join(dir, `align${n}.safetensors`);
      const t = tl.tensor(new Float64Array([n, -n]));
      await tl.writeSafetensors(path, [['w'.repeat(n), t]], { n: String(n) });
      const { length, json } = headerOf(path);
      expect((8 + length) % 8).toBe(0);
      expect(json.trimEnd()).toBe(
        JSON.stringify({ __metadata__: { n: String(n) }, ['w'.repeat(n)]: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }),
      );
      expect(json.length - json.trimEnd().length).toBeLessThan(8);
      // The file is the header, then exactly the data.
      const file = readFileSync(path);
      expect(file.length).toBe(8 + length + 16);
      expect(Array.from(new Float64Array(file.buffer.slice(file.byteOffset + 8 + length, file.byteOffset + file.length)))).toEqual([n, -n]);
    }
  });

  it('reads a file that Python wrote with numpy alone', async () => {
    const path = join(dir, 'numpy.safetensors');
    const script = `
import json, struct, sys
import numpy as np
arrays = {
    'f32': (np.arange(6, dtype='<f4') / 4 - 0.5).reshape(2, 3),
    'f64': np.array([1e-300, -2.5, np.pi], dtype='<f8'),
    'i8': np.array([-128, 127], dtype='i1'),
    'i16': np.array([[-300], [300]], dtype='<i2'),
    'i32': np.array([-2**31, 2**31 - 1], dtype='<i4'),
    'i64': np.array([-(2**62) - 3, 2**62 + 5], dtype='<i8'),
    'u8': np.array([0, 255], dtype='u1'),
    'b': np.array([True, False, True]),
    'scalar': np.array(2.5, dtype='<f4'),
    'empty': np.zeros((0, 2), dtype='<i4'),
}
codes = {'float32': 'F32', 'float64': 'F64', 'int8': 'I8', 'int16': 'I16', 'int32': 'I32', 'int64': 'I64', 'uint8': 'U8', 'bool': 'BOOL'}
header, data = {'__metadata__': {'writer': 'numpy'}}, b''
for name, a in arrays.items():
    raw = a.tobytes()
    header[name] = {'dtype': codes[a.dtype.name], 'shape': list(a.shape), 'data_offsets': [len(data), len(data) + len(raw)]}
    data += raw
head = json.dumps(header).encode()
head += b' ' * (-(8 + len(head)) % 8)
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<Q', len(head)) + head + data)
# Values as strings, so that int64 beyond 2^53 survives JSON.
print(json.dumps({n: [list(a.shape), [repr(float(v)) if a.dtype.kind == 'f' else str(int(v)) for v in a.flatten().tolist()]] for n, a in arrays.items()}))
`;
    const expected = JSON.parse(execFileSync(oraclePython(), ['-c', script, path], { encoding: 'utf8' })) as Record<
      string,
      [number[], string[]]
    >;
    const { tensors, metadata } = await tl.readSafetensors(path);
    expect(metadata).toEqual({ writer: 'numpy' });
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [shape, values]] of Object.entries(expected)) {
      const t = storedToTensor(tensors.get(name)!);
      expect(t.shape, name).toEqual(shape);
      const isFloat = t.dtype === 'float32' || t.dtype === 'float64';
      expect(
        elements(t).map((v) => (isFloat ? v : String(v))),
        name,
      ).toEqual(values.map((v) => (isFloat ? Number(v) : v)));
    }
  });
});

describe('safetensors writes atomically', () => {
  it('leaves no temporary file behind', async () => {
    const path = join(dir, 'w.safetensors');
    await tl.writeSafetensors(path, [['x', tl.ones([3])]]);
    await tl.writeSafetensors(path, [['x', tl.zeros([4])]]);
    expect(readdirSync(dir)).toEqual(['w.safetensors']);
    expect((await tl.readSafetensors(path)).tensors.get('x')!.shape).toEqual([4]);
  });

  it('keeps the existing file whole when a write fails, and cleans up', async () => {
    const path = join(dir, 'w.safetensors');
    await tl.writeSafetensors(path, [['x', tl.ones([3])]]);
    const before = readFileSync(path);
    await expect(
      tl.writeSafetensors(path, [
        ['x', tl.ones([5])],
        ['h', tl.zeros([2], { dtype: 'float16' })],
      ]),
    ).rejects.toThrowError(/^writeSafetensors: cannot write .*w\.safetensors: 'h' has dtype float16, which is not supported$/);
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(dir)).toEqual(['w.safetensors']);
  });

  it('removes its temporary file when the final rename fails', async () => {
    // A directory in the way: the data is written, the rename onto it fails.
    const target = join(dir, 'taken');
    mkdirSync(target);
    await expect(tl.writeSafetensors(target, [['x', tl.ones([3])]])).rejects.toThrowError(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir)).toEqual(['taken']);
  });

  it('gives the last of concurrent writes to one path whole, never a mix', async () => {
    const path = join(dir, 'w.safetensors');
    await Promise.all(Array.from({ length: 8 }, (_, k) => tl.writeSafetensors(path, [[`x${k}`, tl.full([1000], k)]], { k: String(k) })));
    const { tensors, metadata } = await tl.readSafetensors(path);
    const k = Number(metadata.k);
    expect([...tensors.keys()]).toEqual([`x${k}`]);
    expect(new Set(storedToTensor(tensors.get(`x${k}`)!).data())).toEqual(new Set([k]));
    expect(readdirSync(dir)).toEqual(['w.safetensors']);
  });

  it('refuses repeated or reserved names and non-string metadata', async () => {
    const path = join(dir, 'w.safetensors');
    await expect(
      tl.writeSafetensors(path, [
        ['x', tl.ones([1])],
        ['x', tl.ones([2])],
      ]),
    ).rejects.toThrowError(RangeError);
    await expect(
      tl.writeSafetensors(path, [
        ['x', tl.ones([1])],
        ['x', tl.ones([2])],
      ]),
    ).rejects.toThrowError(/'x' is reserved or repeated/);
    await expect(tl.writeSafetensors(path, [['__metadata__', tl.ones([1])]])).rejects.toThrowError(
      /'__metadata__' is reserved or repeated/,
    );
    await expect(tl.writeSafetensors(path, [], { n: 3 } as never)).rejects.toThrowError(/metadata 'n' must be a string, got number/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('safetensors read errors name the file and what is wrong', () => {
  const invalid = (path: string, what: string): RegExp =>
    new RegExp(`^readSafetensors: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a valid safetensors file: ${what}`);
  const f32 = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);

  it('a missing file', async () => {
    const path = join(dir, 'missing.safetensors');
    await expect(tl.readSafetensors(path)).rejects.toThrowError(new RegExp(`^readSafetensors: ${path}: cannot read \\(ENOENT\\)$`));
  });

  it('a file under 8 bytes', async () => {
    const path = join(dir, 'short.safetensors');
    writeFileSync(path, Buffer.from([1, 2, 3, 4, 5]));
    await expect(tl.readSafetensors(path)).rejects.toThrowError(invalid(path, 'only 5 bytes'));
  });

  it('a truncated header', async () => {
    const path = join(dir, 'header.safetensors');
    const file = Buffer.alloc(30);
    file.writeBigUInt64LE(100n);
    writeFileSync(path, file);
    await expect(tl.readSafetensors(path)).rejects.toThrowError(
      invalid(path, 'truncated: the header needs 100 bytes, the file has 22 after the length'),
    );
  });

  it('a header that is not JSON, or not an object', async () => {
    const path = join(dir, 'json.safetensors');
    writeRaw(path, '{"x": not json}');
    await expect(tl.readSafetensors(path)).rejects.toThrowError(invalid(path, 'the header is not JSON'));
    for (const header of ['null', '[]', '42']) {
      writeRaw(path, header);
      await expect(tl.readSafetensors(path)).rejects.toThrowError(invalid(path, 'the header is not a JSON object'));
    }
  });

  it('a tensor whose byte range does not match its shape', async () => {
    const path = join(dir, 'range.safetensors');
    writeRaw(path, { x: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, f32.subarray(0, 12));
    await expect(tl.readSafetensors(path)).rejects.toThrowError(
      invalid(path, "'x' has byte range \\[0, 12\\] \\(12 bytes\\), which does not hold shape \\[2,2\\] of F32 \\(16 bytes\\)"),
    );
  });

  it('malformed shapes and byte ranges', async () => {
    const path = join(dir, 'malformed.safetensors');
    const cases: [unknown, string][] = [
      [{ x: { dtype: 'F32', shape: [-2, -2], data_offsets: [0, 16] } }, "'x' has shape \\[-2,-2\\], not a list of sizes"],
      [{ x: { dtype: 'F32', data_offsets: [0, 16] } }, "'x' has shape undefined"],
      [{ x: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, "'x' has data_offsets \\[-4,0\\], not a \\[begin, end\\] byte range"],
      [{ x: { dtype: 'F32', shape: [1], data_offsets: [4] } }, "'x' has data_offsets \\[4\\]"],
      [{ x: 'F32' }, "'x' is not an object"],
      [{ __metadata__: { n: 1 } }, '__metadata__ is not an object of strings'],
    ];
    for (const [header, what] of cases) {
      writeRaw(path, header, f32);
      await expect(tl.readSafetensors(path)).rejects.toThrowError(invalid(path, what));
    }
  });

  it('byte ranges that overlap, leave a gap, or leave bytes over', async () => {
    const path = join(dir, 'tiling.safetensors');
    const x = (begin: number) => ({ dtype: 'F32', shape: [2], data_offsets: [begin, begin + 8] });
    writeRaw(path, { a: x(0), b: x(4) }, f32);
    await expect(tl.readSafetensors(path)).rejects.toThrowError(
      invalid(path, "'b' starts at data byte 4, expected 8 \\(the byte ranges overlap or leave a gap\\)"),
    );
    writeRaw(path, { a: x(8) }, f32);
    await expect(tl.readSafetensors(path)).rejects.toThrowError(invalid(path, "'a' starts at data byte 8, expected 0"));
    writeRaw(path, { a: x(0) }, f32);
    await expect(tl.readSafetensors(path)).rejects.toThrowError(invalid(path, "8 bytes after the last tensor's data"));
  });

  it('a file truncated inside the data', async () => {
    const path = join(dir, 'cut.safetensors');
    await tl.writeSafetensors(path, [
      ['first', tl.ones([4])],
      ['second', tl.ones([4])],
    ]);
    truncateSync(path, readFileSync(path).length - 3);
    await expect(tl.readSafetensors(path)).rejects.toThrowError(
      invalid(path, "truncated: 'second' ends at data byte 32, the file has 29 bytes of data"),
    );
  });

  it('an unsupported dtype, including names that only Object.prototype knows', async () => {
    const path = join(dir, 'f16.safetensors');
    writeRaw(path, { h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, f32.subarray(0, 4));
    await expect(tl.readSafetensors(path)).rejects.toThrowError(
      invalid(path, `'h' has unsupported dtype "F16" \\(supported: F32, F64, I8, I16, I32, I64, U8, BOOL\\)`),
    );
    writeRaw(path, { h: { dtype: 'toString', shape: [1], data_offsets: [0, 4] } }, f32.subarray(0, 4));
    await expect(tl.readSafetensors(path)).rejects.toThrowError(invalid(path, `'h' has unsupported dtype "toString"`));
  });
});
