/**
 * The global random generator: a seed and a Philox block counter. Every random op takes
 * `ceil(n / 4)` blocks, so `manualSeed(s)` followed by the same calls gives the same numbers on
 * every backend and runtime.
 */

/** PyTorch's default seed, so an unseeded program is still repeatable. */
const DEFAULT_SEED = 67280421310721;

let seed = DEFAULT_SEED;
let counter = 0;

function checkSeed(s: number): void {
  if (!Number.isSafeInteger(s) || s < 0) {
    throw new RangeError(`manualSeed: the seed must be a non-negative safe integer, got ${s}`);
  }
}

/**
 * Seeds the generator and resets its counter.
 *
 * @example
 * ```ts
 * torch.manualSeed(0);
 * const a = await torch.randn([3]).tolist();
 * torch.manualSeed(0);
 * const b = await torch.randn([3]).tolist();
 * console.log(JSON.stringify(a) === JSON.stringify(b));   // true, on every backend and runtime
 * ```
 */
export function manualSeed(s: number): void {
  checkSeed(s);
  seed = s;
  counter = 0;
}

/**
 * The seed in use.
 *
 * @example
 * ```ts
 * torch.manualSeed(42);
 * console.log(torch.initialSeed());   // 42
 * ```
 */
export function initialSeed(): number {
  return seed;
}

/**
 * Seeds the generator from `Math.random` and returns the seed.
 *
 * @example
 * ```ts
 * const seed = torch.seedRandomly();   // torch.seed(): a fresh non-deterministic seed
 * console.log(seed === torch.initialSeed());   // true
 * ```
 */
export function seedRandomly(): number {
  const s = Math.floor(Math.random() * 2 ** 52);
  manualSeed(s);
  return s;
}

/** @internal Reserves `blocks` Philox blocks and returns the parameters for the first. */
export function nextRandom(blocks: number): { seedLo: number; seedHi: number; counter: number } {
  const params = { seedLo: seed % 4294967296, seedHi: Math.floor(seed / 4294967296), counter };
  counter += blocks;
  return params;
}

/** The generator's position: saving it and restoring it replays the same random numbers. */
export interface RngState {
  /** The seed given to `manualSeed`. */
  seed: number;
  /** Philox blocks used since then. */
  counter: number;
}

/**
 * The generator's state, to save and restore with {@link setRngState}.
 *
 * @example
 * ```ts
 * torch.manualSeed(1);
 * const state = torch.getRngState();
 * const a = await torch.rand([2]).tolist();
 * torch.setRngState(state);
 * console.log(JSON.stringify(await torch.rand([2]).tolist()) === JSON.stringify(a));   // true
 * ```
 */
export function getRngState(): RngState {
  return { seed, counter };
}

/**
 * Restores a state saved with {@link getRngState}: later random ops give the numbers they gave after the
 * save. Throws a RangeError for a seed or counter that is not a non-negative safe integer.
 *
 * @example
 * ```ts
 * const state = torch.getRngState();
 * torch.rand([5]);
 * torch.setRngState(state);   // the next draw repeats the one above
 * ```
 */
export function setRngState(state: RngState): void {
  checkSeed(state.seed);
  if (!Number.isSafeInteger(state.counter) || state.counter < 0) throw new RangeError(`setRngState: bad counter ${state.counter}`);
  seed = state.seed;
  counter = state.counter;
}
