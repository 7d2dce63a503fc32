/**
 * The few pieces of the protocol-buffers wire format a SentencePiece `.model` file needs
 * (varints, fixed32, length-delimited fields), read from untrusted bytes: every length and
 * offset is checked, and a malformed file throws a RangeError naming the offset.
 */

/** One field of a message: its number and its value (a number for varint/fixed32, bytes for length-delimited). */
export interface ProtoField {
  /** The field number. */
  field: number;
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  wireType: number;
  /** varint (as a number; values past 2^53 lose precision) or the fixed32 bits. */
  value: number;
  /** A varint's low 32 bits as a signed int32 (exact, also for negative int32 values, which take 10 bytes). */
  int32: number;
  /** The payload of a length-delimited field (a view into the input). */
  bytes: Uint8Array | null;
}

/** Every field of one message, in order. Throws a RangeError for truncated or malformed input. */
export function readFields(buf: Uint8Array, what = 'protobuf message'): ProtoField[] {
  const out: ProtoField[] = [];
  let at = 0;
  const fail = (msg: string): never => {
    throw new RangeError(`${what}: ${msg} at byte ${at} of ${buf.length}`);
  };
  let low32 = 0;
  const varint = (): number => {
    let result = 0, scale = 1;
    low32 = 0;
    for (let i = 0; i < 10; i++) {
      if (at >= buf.length) fail('truncated varint');
      const b = buf[at++]!;
      result += (b & 0x7f) * scale;
      if (i < 5) low32 |= (b & 0x7f) << (7 * i); // JS shifts keep the low 32 bits
      if (b < 0x80) return result;
      scale *= 128;
    }
    return fail('varint longer than 10 bytes');
  };
  while (at < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8), wireType = tag % 8;
    if (field === 0) fail('field number 0');
    if (wireType === 0) {
      const value = varint();
      out.push({ field, wireType, value, int32: low32 | 0, bytes: null });
    }
    else if (wireType === 2) {
      const n = varint();
      if (n > buf.length - at) fail(`length ${n} runs past the end`);
      out.push({ field, wireType, value: n, int32: 0, bytes: buf.subarray(at, at + n) });
      at += n;
    } else if (wireType === 5) {
      if (at + 4 > buf.length) fail('truncated fixed32');
      out.push({ field, wireType, value: new DataView(buf.buffer, buf.byteOffset + at, 4).getUint32(0, true), int32: 0, bytes: null });
      at += 4;
    } else if (wireType === 1) {
      if (at + 8 > buf.length) fail('truncated fixed64');
      at += 8;
      out.push({ field, wireType, value: 0, int32: 0, bytes: null });
    } else fail(`unsupported wire type ${wireType}`);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A length-delimited field as UTF-8 text; throws for invalid UTF-8. */
export function fieldText(f: ProtoField, what: string): string {
  if (!f.bytes) throw new RangeError(`${what}: expected a string (length-delimited field ${f.field})`);
  try {
    return utf8.decode(f.bytes);
  } catch {
    throw new RangeError(`${what}: field ${f.field} is not valid UTF-8`);
  }
}

/** A fixed32 field as a float32. */
export function fieldFloat(f: ProtoField): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, f.value, true);
  return dv.getFloat32(0, true);
}
