/** The safetensors writer against the Rust crate's own test vectors, and the reader's checks. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as torch from '@torchlet/core';
import { createReferenceBackend } from '../../core/test/reference-backend.ts';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors, SafetensorsError } from '../src/index.ts';

beforeAll(async () => {
  torch.registerBackend('reference', () => createReferenceBackend());
  await torch.setBackend('reference');
});

/** A file from a header string and data bytes, with the header length as given (or the true one). */
function file(header: string, data: ArrayLike<number> = [], n?: number | bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(n ?? h.length), true);
  out.set(h, 8);
  out.set(Array.from(data), 8 + h.length);
  return out;
}

describe('saveSafetensors writes what the Rust crate writes', () => {
  it("matches the crate's test_serialization bytes (attn.0, F32 [1, 2, 3])", async () => {
    const t = torch.fromArray(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 2, 3]);
    const out = await saveSafetensors({ 'attn.0': t });
    const expected = [
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34,
      115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91,
      48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ];
    expect(Array.from(out)).toEqual(expected);
    t.dispose();
  });

  it("pads the header with spaces to a multiple of 8 (the crate's test_empty and forced-alignment cases)", async () => {
    expect(Array.from(await saveSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const withMeta = await saveSafetensors({}, { framework: 'pt' });
    expect(new TextDecoder().decode(withMeta.subarray(8))).toBe('{"__metadata__":{"framework":"pt"}}     ');
    expect(withMeta[0]).toBe(40);
    const t = torch.fromArray(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 1, 2, 3]);
    const out = await saveSafetensors({ attn0: t });
    expect(out[0]).toBe(72);
    expect(new TextDecoder().decode(out.subarray(8, 80))).toBe('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
    t.dispose();
  });

  it('orders tensors as the crate does: descending dtype alignment, then name by UTF-8 bytes', async () => {
    const sd = {
      b: torch.tensor([true, false]),
      z: torch.tensor([1], { dtype: 'int32' }),
      a: torch.tensor([1], { dtype: 'int32' }),
      '\u{1F600}': torch.tensor([1]),
      '\uFFFD': torch.tensor([2]),
      y: torch.zeros([0, 2]),
      s: torch.tensor(3.5),
    };
    const bytes = await saveSafetensors(sd, { z: '1', a: '2' });
    const h = readSafetensorsHeader(bytes);
    // U+FFFD (EF BF BD) sorts before U+1F600 (F0 9F 98 80) in UTF-8, though not in UTF-16.
    expect(h.tensors.map(([n]) => n)).toEqual(['s', 'y', '\uFFFD', '\u{1F600}', 'a', 'z', 'b']);
    expect(h.metadata).toEqual({ a: '2', z: '1' });
    const back = loadSafetensors(bytes);
    for (const [k, t] of Object.entries(sd)) {
      expect(back[k]!.dtype, k).toBe(t.dtype);
      expect(back[k]!.shape, k).toEqual(t.shape);
      expect(Array.from(await back[k]!.data()), k).toEqual(Array.from(await t.data()));
      t.dispose();
      back[k]!.dispose();
    }
  });

  it('reads non-contiguous views in logical order', async () => {
    const t = torch.fromArray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const back = loadSafetensors(await saveSafetensors({ t: t.t() }));
    expect(back.t!.shape).toEqual([3, 2]);
    expect(Array.from(await back.t!.data())).toEqual([1, 4, 2, 5, 3, 6]);
    t.dispose();
    back.t!.dispose();
  });

  it('refuses what it cannot write', async () => {
    const t = torch.zeros([1]);
    await expect(saveSafetensors({ __metadata__: t })).rejects.toThrow(/'__metadata__' is reserved/);
    await expect(saveSafetensors({ a: 3 as unknown as torch.Tensor })).rejects.toThrow(/"a" is not a Tensor/);
    await expect(saveSafetensors({ a: t }, { k: 1 as unknown as string })).rejects.toThrow(/metadata "k" must be a string/);
    t.dispose();
    await expect(saveSafetensors({ a: t })).rejects.toThrow(/"a" .* was disposed/);
  });
});

describe('loadSafetensors checks the untrusted file', () => {
  const ok = (name = 'w', offsets = '[0,8]', shape = '[2]', dtype = 'F32'): string => `{"${name}":{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}}}`;
  const bad = (bytes: Uint8Array, message: RegExp): void => {
    let err: unknown;
    try {
      loadSafetensors(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as Error).message).toMatch(message);
  };

  it('loads a valid file, a metadata-only file and a 0-d tensor', async () => {
    const t = loadSafetensors(file(ok(), [0, 0, 128, 63, 0, 0, 0, 64]));
    expect(Array.from(await t.w!.data())).toEqual([1, 2]);
    t.w!.dispose();
    expect(loadSafetensors(file('{"__metadata__":{"a":"b"}}'))).toEqual({});
    const s = loadSafetensors(file('{"s":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}', [7, 0, 0, 0]));
    expect(await s.s!.item()).toBe(7);
    s.s!.dispose();
  });

  it('ignores fields it does not know, as the Rust crate does', async () => {
    const t = loadSafetensors(file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":{"x":[1]}}}', [0, 0, 128, 63, 0, 0, 0, 64]));
    expect(Array.from(await t.a!.data())).toEqual([1, 2]);
    t.a!.dispose();
  });

  it('keys such as __proto__ become own properties', async () => {
    const t = loadSafetensors(file(ok('__proto__'), [0, 0, 128, 63, 0, 0, 0, 64]));
    expect(Object.keys(t)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
    Object.values(t)[0]!.dispose();
  });

  it('names the problem (and the tensor)', () => {
    const data = [0, 0, 128, 63, 0, 0, 0, 64];
    bad(new Uint8Array(5), /5 bytes long, shorter than the 8-byte header length/);
    bad(file(ok(), data, 1n << 60n), /header length \d+ is larger than the limit of 100000000 bytes/);
    bad(file(ok(), data, 1000), /header length 1000 runs past the end of the file/);
    bad(file('[1,2]'), /must be a JSON object, got an array/);
    bad(file('{"a":'), /not valid JSON: unexpected end of input/);
    bad(file('{"a":1,"a":2}'), /duplicate key "a"/);
    bad(file(ok().slice(0, -1) + `,"w":${ok().slice(5)}`, data), /duplicate key "w"/);
    const invalidUtf8 = file(ok(), data);
    invalidUtf8[10] = 0xff;
    bad(invalidUtf8, /not valid UTF-8/);
    bad(file('{"__metadata__":{"a":1}}'), /__metadata__ "a" must be a string, got the number 1/);
    bad(file('{"__metadata__":[]}'), /__metadata__ must be an object of strings/);
    bad(file(ok('w', '[0,8]', '[2]', 'F8'), data), /tensor "w": unknown dtype "F8"/);
    bad(file(ok('w', '[0,8]', '[2]', 'U8'), data), /tensor "w": shape \[2\] of U8 needs 2 bytes, but data_offsets \[0, 8\] hold 8/);
    bad(file(ok('w', '[0,8]', '[-2]'), data), /tensor "w": shape must be an array of non-negative integers, found the number -2/);
    bad(file(ok('w', '[0,8]', '[2.0]'), data), /found the number 2.0/);
    bad(file(ok('w', '[0,8]', '[1e0,2]'), data), /found the number 1e0/);
    bad(file(ok('w', '[0,8]', '[9007199254740993]'), data), /found the number 9007199254740993/);
    bad(file(ok('w', '[0,8]', '[4294967296,4294967296,4294967296]'), data), /needs more than 8 bytes, but data_offsets \[0, 8\] hold 8/);
    bad(file(ok('w', '[0,8]', '"2"'), data), /shape must be an array/);
    bad(file(ok('w', '[0]'), data), /data_offsets must be \[begin, end\]/);
    bad(file(ok('w', '[8,0]'), data), /data_offsets \[8, 0\] end before they begin/);
    bad(file(ok('w', '[0,16]', '[4]'), data), /data_offsets \[0, 16\] run past the end of the data section \(8 bytes\)/);
    bad(file(ok('w', '[0,4]', '[1]'), data), /the tensors cover 4 bytes of the data section, but it is 8 bytes long/);
    bad(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', data), /tensor "a": data_offsets \[4, 8\] leave a hole in the data section at \[0, 4\]/);
    bad(file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', data), /tensor "b": data_offsets \[4, 8\] overlap the previous tensor, which ends at 8/);
    bad(file('{"a":{"shape":[2],"data_offsets":[0,8]}}', data), /tensor "a": dtype must be a string, got nothing/);
    bad(file('{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', [0, 0, 0, 0, 1, 0, 0, 0]), /tensor "a": I64 element 0 is 4294967296, outside the int32 range/);
    bad(file('{"a":{"dtype":"U16","shape":[1],"data_offsets":[0,2]}}', [0, 0]), /tensor "a" has dtype U16, which torchlet does not load/);
    bad(file('['.repeat(100_000)), /nesting deeper than 64/);
  });
});
