// A boundary-tag allocator over linear memory: explicit free lists binned by size class
// (floor(log2(size))), first fit within a bin, splitting on allocation and coalescing with both
// physical neighbours on free. Every block starts with a 16-byte header, so payloads stay
// 16-byte aligned. When nothing fits, memory.grow extends the heap (merging into a free block at
// the end, if any). See: Knuth TAOCP vol. 1, 2.5 (boundary tags); Masmano et al., TLSF (binning).
//
// Header (16 bytes, at block start):
//   +0  u32 size | USED   total block bytes (multiple of 16, header included); bit 0 = in use
//   +4  u32 prevSize      size of the physically previous block (0 for the first block)
//   +8  u32 nextFree      free-list links, meaningful only while the block is free (0 = none)
//   +12 u32 prevFree

const HEADER: usize = 16;
const MIN_BLOCK: usize = 32;
const USED: u32 = 1;
const BINS: i32 = 32;
const BIN_HEADS: usize = memory.data(BINS * 4, 16);

let heapStart: usize = 0;
let heapEnd: usize = 0;
/** The physically last block (0 while the heap is empty). */
let lastBlock: usize = 0;

@inline function sizeOf(b: usize): usize { return <usize>(load<u32>(b) & ~USED); }
@inline function isUsed(b: usize): bool { return (load<u32>(b) & USED) != 0; }
@inline function binOf(size: usize): i32 { return 31 - <i32>clz<u32>(<u32>size); }

function unlink(b: usize): void {
  const next = <usize>load<u32>(b, 8);
  const prev = <usize>load<u32>(b, 12);
  if (prev) store<u32>(prev, <u32>next, 8);
  else store<u32>(BIN_HEADS + (<usize>binOf(sizeOf(b)) << 2), <u32>next);
  if (next) store<u32>(next, <u32>prev, 12);
}

function link(b: usize): void {
  const head = BIN_HEADS + (<usize>binOf(sizeOf(b)) << 2);
  const first = <usize>load<u32>(head);
  store<u32>(b, <u32>first, 8);
  store<u32>(b, 0, 12);
  if (first) store<u32>(first, <u32>b, 12);
  store<u32>(head, <u32>b);
}

/** Sets a block's size (keeping it free) and the next block's prevSize. */
function setFreeSize(b: usize, size: usize): void {
  store<u32>(b, <u32>size);
  const next = b + size;
  if (next < heapEnd) store<u32>(next, <u32>size, 4);
  else lastBlock = b;
}

function findFit(size: usize): usize {
  let bin = binOf(size);
  // First fit inside the size's own bin (its blocks may be smaller than `size`) ...
  let b = <usize>load<u32>(BIN_HEADS + (<usize>bin << 2));
  while (b) {
    if (sizeOf(b) >= size) return b;
    b = <usize>load<u32>(b, 8);
  }
  // ... then any block of a larger bin fits.
  for (bin++; bin < BINS; bin++) {
    b = <usize>load<u32>(BIN_HEADS + (<usize>bin << 2));
    if (b) return b;
  }
  return 0;
}

/** Grows memory so that a free block of at least `size` bytes ends the heap. False if memory is exhausted. */
function growFor(size: usize): bool {
  if (heapStart == 0) {
    heapStart = (__heap_base + 15) & ~15;
    heapEnd = heapStart;
  }
  let tail: usize = 0;
  if (lastBlock && !isUsed(lastBlock)) tail = sizeOf(lastBlock);
  const need = size - tail;
  const available = (<usize>memory.size() << 16) - heapEnd;
  if (available < need) {
    // Grow by at least an eighth of the current memory so that a growing workload does not
    // grow one page at a time.
    const current = <usize>memory.size();
    let pages = <i32>((need - available + 0xffff) >> 16);
    const minimum = <i32>(current >> 3);
    if (pages < minimum) pages = minimum;
    if (memory.grow(pages) < 0) {
      pages = <i32>((need - available + 0xffff) >> 16);
      if (memory.grow(pages) < 0) return false;
    }
  }
  const newEnd = heapEnd + need;
  if (tail) {
    unlink(lastBlock);
    heapEnd = newEnd;
    setFreeSize(lastBlock, tail + need);
    link(lastBlock);
  } else {
    const b = heapEnd;
    store<u32>(b, <u32>need);
    store<u32>(b, lastBlock ? <u32>sizeOf(lastBlock) : 0, 4);
    heapEnd = newEnd;
    lastBlock = b;
    link(b);
  }
  return true;
}

/** Allocates `bytes` bytes, 16-byte aligned; returns 0 when memory cannot grow. */
export function alloc(bytes: usize): usize {
  let size = ((bytes + 15) & ~15) + HEADER;
  if (size < MIN_BLOCK) size = MIN_BLOCK;
  if (size < bytes) return 0; // overflow
  let b = findFit(size);
  if (!b) {
    if (!growFor(size)) return 0;
    b = findFit(size);
  }
  unlink(b);
  const total = sizeOf(b);
  if (total - size >= MIN_BLOCK) {
    // Split: the remainder stays free.
    const rest = b + size;
    store<u32>(b, <u32>size);
    store<u32>(rest, <u32>size, 4);
    setFreeSize(rest, total - size);
    link(rest);
  }
  store<u32>(b, load<u32>(b) | USED);
  return b + HEADER;
}

/** Frees a block returned by `alloc`, merging it with free neighbours. */
export function free(ptr: usize): void {
  let b = ptr - HEADER;
  let size = sizeOf(b);
  const next = b + size;
  if (next < heapEnd && !isUsed(next)) {
    unlink(next);
    size += sizeOf(next);
  }
  const prevSize = <usize>load<u32>(b, 4);
  if (prevSize) {
    const prev = b - prevSize;
    if (!isUsed(prev)) {
      unlink(prev);
      size += prevSize;
      b = prev;
    }
  }
  setFreeSize(b, size);
  link(b);
}

/** Total heap bytes handed out or free (for tests). */
export function heapBytes(): usize {
  return heapEnd - heapStart;
}
