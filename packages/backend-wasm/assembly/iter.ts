// The scratch area through which the glue passes shapes and strides, and the n-d iterator that
// walks the outer dimensions of up to four operands ("rows" of the last dimension).
//
// Scratch layout (i32 words; strides are in BYTES, may be 0 or negative):
//   SHAPE                 shape[MAX_RANK]            the iterated shape
//   STRIDES + k*MAX_RANK  strides of operand k       k = 0..3
//   SHAPE2 / STRIDES2     a second shape + strides   (reduce: the reduced dims of x)
//   INFO                  kernel results             (gather/scatterAdd: bad index, position)

export const MAX_RANK: i32 = 32;
const ROW: usize = <usize>MAX_RANK * 4;
export const SCRATCH: usize = memory.data(ROW * 8, 16);
export const SHAPE: usize = SCRATCH;
export const STRIDES: usize = SCRATCH + ROW;
export const SHAPE2: usize = SCRATCH + ROW * 5;
export const STRIDES2: usize = SCRATCH + ROW * 6;
export const INFO: usize = SCRATCH + ROW * 7;

/** The scratch area's address, for the glue. */
export function scratch(): usize {
  return SCRATCH;
}

@inline export function dimSize(d: i32): i32 {
  return load<i32>(SHAPE + (<usize>d << 2));
}

@inline export function stride(k: i32, d: i32): i32 {
  return load<i32>(STRIDES + <usize>k * ROW + (<usize>d << 2));
}

const INDEX: usize = memory.data(ROW, 16);

// Current row pointers of the four operands.
export let p0: usize = 0;
export let p1: usize = 0;
export let p2: usize = 0;
export let p3: usize = 0;

/** Starts iterating the rows of SHAPE (rank >= 1) at the given base pointers; returns the row count. */
export function rowsBegin(rank: i32, a: usize, b: usize, c: usize, d: usize): i32 {
  p0 = a;
  p1 = b;
  p2 = c;
  p3 = d;
  let rows = 1;
  for (let i = 0; i < rank - 1; i++) {
    store<i32>(INDEX + (<usize>i << 2), 0);
    rows *= dimSize(i);
  }
  return rows;
}

/** Moves p0..p3 to the next row (odometer over dims 0..rank-2, last of them fastest). */
export function rowsNext(rank: i32): void {
  for (let d = rank - 2; d >= 0; d--) {
    const at = INDEX + (<usize>d << 2);
    const i = load<i32>(at) + 1;
    if (i < dimSize(d)) {
      store<i32>(at, i);
      p0 += <usize>stride(0, d);
      p1 += <usize>stride(1, d);
      p2 += <usize>stride(2, d);
      p3 += <usize>stride(3, d);
      return;
    }
    store<i32>(at, 0);
    const back = i - 1;
    p0 -= <usize>(stride(0, d) * back);
    p1 -= <usize>(stride(1, d) * back);
    p2 -= <usize>(stride(2, d) * back);
    p3 -= <usize>(stride(3, d) * back);
  }
}
