import { describe, expect, it } from 'vitest';
import { philox4x32, philoxFill, type View } from '@torchlet/core';
import { backend } from './helpers.ts';

// Random123 known-answer vectors for Philox 4x32-10 (Random123 examples/kat_vectors, R = 10).
// Note: the pi-digits vector's last two words are 5001e420 24126ea1 there (and in an independent
// arbitrary-precision check); the figures 5001e856 b7c4a8ed sometimes quoted are a mistranscription.
const KAT: { counter: number[]; key: [number, number]; out: number[] }[] = [
  { counter: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

describe('Philox 4x32-10', () => {
  it('core reference and the kernels both reproduce the Random123 known answers', async () => {
    const be = await backend();
    for (const { counter, key, out } of KAT) {
      expect(philox4x32(counter, key)).toEqual(out);
      expect(be.philoxBlock(counter, key)).toEqual(out);
    }
  });

  const view = (buffer: number, n: number, offset = 0): View => ({ buffer, dtype: 'float32', shape: [n], strides: [1], offset });

  it('uniform is bit-exact with philoxFill for any length, seed and counter', async () => {
    const be = await backend();
    for (const n of [0, 1, 3, 4, 5, 17, 1000])
      for (const [seedLo, seedHi, counter] of [[0, 0, 0], [42, 7, 5], [0xffffffff, 0x80000000, 2 ** 32 - 2], [1, 2, 2 ** 52 + 3]]) {
        const buffer = be.alloc((n + 2) * 4);
        be.random(view(buffer, n, 2), { kind: 'uniform', seedLo: seedLo!, seedHi: seedHi!, counter: counter! });
        const want = new Float32Array(n);
        philoxFill(want, 'uniform', seedLo!, seedHi!, counter!);
        expect(be.readSync(view(buffer, n, 2))).toEqual(want);
      }
  });

  it('normal matches philoxFill within an ulp', async () => {
    const be = await backend();
    for (const n of [1, 2, 3, 7, 4096])
      for (const [seedLo, seedHi, counter] of [[0, 0, 0], [1234, 0, 99], [0xdeadbeef, 0xcafe, 2 ** 33 + 1]]) {
        const buffer = be.alloc(n * 4);
        be.random(view(buffer, n), { kind: 'normal', seedLo: seedLo!, seedHi: seedHi!, counter: counter! });
        const got = be.readSync(view(buffer, n));
        const want = new Float32Array(n);
        philoxFill(want, 'normal', seedLo!, seedHi!, counter!);
        for (let i = 0; i < n; i++) {
          const ulp = Math.max(2 ** -149, Math.abs(want[i]!) * 2 ** -23);
          expect(Math.abs(got[i]! - want[i]!), `element ${i}`).toBeLessThanOrEqual(ulp);
        }
      }
  });
});
