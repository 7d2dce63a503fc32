/**
 * The safetensors reader bounds the work an untrusted header can cost (issue 13: a header of the
 * allowed 100 MB made of millions of tiny entries took 225 s and 4 GB before it was refused).
 */
import { describe, expect, it } from 'vitest';
import { MAX_HEADER_BYTES, MAX_HEADER_VALUES, readSafetensorsHeader, SafetensorsError } from '../src/index.ts';
import { parseStrictJson } from '../src/strict-json.ts';

/** A header of `bytes` bytes: `{` then empty U8 entries `"t0000001":{...},` up to the end. */
function floodHeader(bytes: number): Uint8Array {
  const enc = new TextEncoder();
  const out = new Uint8Array(8 + bytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(bytes), true);
  const entry = enc.encode('"t0000000":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},');
  out[8] = 0x7b; // '{'
  let at = 9;
  for (let k = 0; at + entry.length + 1 <= out.length; k++) {
    entry.set(enc.encode(String(k).padStart(7, '0')), 2);
    out.set(entry, at);
    at += entry.length;
  }
  out[at - 1] = 0x7d; // the last ',' becomes '}'
  out.fill(0x20, at); // JSON whitespace pads the rest
  return out;
}

describe('safetensors header limits', () => {
  it('are exported: 100 MB and 1,000,000 JSON values', () => {
    expect(MAX_HEADER_BYTES).toBe(100_000_000);
    expect(MAX_HEADER_VALUES).toBe(1_000_000);
  });

  it('a header of more values than the limit is refused after the limit, in bounded time', () => {
    const bytes = floodHeader(12_000_000); // about 200,000 entries, 1.4 million values
    const t0 = performance.now();
    let error: unknown;
    try {
      readSafetensorsHeader(bytes);
    } catch (e) {
      error = e;
    }
    const ms = performance.now() - t0;
    expect(error).toBeInstanceOf(SafetensorsError);
    expect(String(error)).toMatch(/the header is not valid JSON: more than 1000000 values/);
    console.log(`12 MB flood header refused in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(15_000);
  });

  it('a header under the limit parses (the limit counts values, not entries)', () => {
    const bytes = floodHeader(60_000); // about 1,000 entries
    const header = readSafetensorsHeader(bytes);
    expect(header.tensors.length).toBeGreaterThan(900);
  });

  it('the JSON parser counts every value, containers included', () => {
    expect(parseStrictJson('[1,[2,3],{"a":null}]', 7).kind).toBe('array');
    expect(() => parseStrictJson('[1,[2,3],{"a":null}]', 6)).toThrow(/more than 6 values/);
    expect(() => parseStrictJson('"x"', 0)).toThrow(/more than 0 values/);
  });

  it('a length prefix past the limit is refused before the header is read', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    expect(() => readSafetensorsHeader(bytes)).toThrow(/larger than the limit of 100000000 bytes/);
  });
});
