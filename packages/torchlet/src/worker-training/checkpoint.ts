/**
 * Training checkpoints as one safetensors file: every tensor of the registered objects' state
 * dicts (the model's `0.weight` is `model/0.weight`, Adam's first moment of parameter 0 is
 * `optimizer/state/0/exp_avg`), and in the header's metadata the rest as JSON (the step, the
 * random generator's position, each state dict with its tensors replaced by their keys). One
 * file, so it can be transferred between threads as one ArrayBuffer and saved as it is (disk,
 * OPFS, IndexedDB); PyTorch's safetensors reads its tensors.
 */
import { getRngState, isTensor, setRngState, type RngState, type Tensor } from '@torchlet/core';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from '@torchlet/nn';

/**
 * Anything with PyTorch's state-dict pair, as `nn.Module`, the optimizers and the lr schedulers
 * have: what a training checkpoint saves and a resumed run restores.
 */
export interface Stateful {
  /** The state: tensors, numbers, strings, booleans, null, arrays and plain objects of those. */
  stateDict(): unknown;
  /** Restores a state returned by `stateDict()` (the caller keeps the tensors it passes). */
  loadStateDict(state: never): unknown;
}

/** A checkpoint of a run in a worker: see `TrainingRun.checkpoint()`. */
export interface TrainingCheckpoint {
  /** The steps the run had completed (the `step` of its last progress report). */
  step: number;
  /** The checkpoint as a safetensors file: save it as it is, pass it back as `resumeFrom`. */
  bytes: Uint8Array;
}

/** The metadata key that holds the checkpoint's JSON. */
const META_KEY = 'torchlet.checkpoint';
const FORMAT = 1;

interface CheckpointMeta {
  format: number;
  step: number;
  rng: RngState;
  states: Record<string, unknown>;
}

/** A tensor's place in the JSON skeleton. */
interface TensorRef {
  $tensor: string;
}
/** A number JSON cannot hold (NaN, +-Infinity). */
interface NumberRef {
  $number: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The JSON skeleton of `value`, its tensors moved into `tensors` under `path`-derived keys. */
function skeleton(value: unknown, path: string, tensors: Record<string, Tensor>): unknown {
  if (isTensor(value)) {
    tensors[path] = value;
    return { $tensor: path } satisfies TensorRef;
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : ({ $number: String(value) } satisfies NumberRef);
  if (Array.isArray(value)) return value.map((v, i) => skeleton(v, `${path}/${i}`, tensors));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (k.includes('/')) throw new TypeError(`checkpoint: the key '${k}' at ${path} contains '/', which checkpoint keys use as their separator`);
      out[k] = skeleton(v, `${path}/${k}`, tensors);
    }
    return out;
  }
  const what = value === undefined ? 'undefined' : typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
  throw new TypeError(`checkpoint: ${path} is ${what}; a state dict may hold tensors, numbers, strings, booleans, null, arrays and plain objects`);
}

/** The state dict back from its skeleton, with the loaded tensors in their places. */
function rebuild(value: unknown, tensors: Record<string, Tensor>): unknown {
  if (Array.isArray(value)) return value.map((v) => rebuild(v, tensors));
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$tensor === 'string') {
      const t = tensors[o.$tensor];
      if (!t) throw new RangeError(`checkpoint: the tensor '${o.$tensor}' is missing from the file`);
      return t;
    }
    if (typeof o.$number === 'string') return Number(o.$number);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = rebuild(v, tensors);
    return out;
  }
  return value;
}

/** Throws a TypeError naming what is wrong unless `objects` maps names to {@link Stateful}s. */
export function checkStateful(objects: unknown, where: string): asserts objects is Record<string, Stateful> {
  if (!isPlainObject(objects) || Object.keys(objects).length === 0) {
    throw new TypeError(`${where}: expected an object of what to checkpoint, such as { model, optimizer }`);
  }
  for (const [name, o] of Object.entries(objects)) {
    const s = o as Partial<Stateful> | null;
    // Modules are callable (function objects), optimizers are plain objects: both qualify.
    if (s === null || (typeof s !== 'object' && typeof s !== 'function') || typeof s.stateDict !== 'function' || typeof s.loadStateDict !== 'function') {
      throw new TypeError(`${where}: '${name}' has no stateDict() and loadStateDict() (a module, an optimizer or an lr scheduler has them)`);
    }
    if (name.includes('/')) throw new TypeError(`${where}: the name '${name}' contains '/'`);
  }
}

/** Serializes the objects' state dicts, the step and the random generator's position. */
export async function encodeCheckpoint(step: number, objects: Record<string, Stateful>): Promise<Uint8Array> {
  checkStateful(objects, 'checkpoint');
  const tensors: Record<string, Tensor> = {};
  const states: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(objects)) states[name] = skeleton(o.stateDict(), name, tensors);
  const meta: CheckpointMeta = { format: FORMAT, step, rng: getRngState(), states };
  return saveSafetensors(tensors, { [META_KEY]: JSON.stringify(meta) });
}

function readMeta(bytes: Uint8Array): CheckpointMeta {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`checkpoint: expected the checkpoint's bytes (a Uint8Array), got ${bytes === null ? 'null' : typeof bytes}`);
  const header = readSafetensorsHeader(bytes);
  const text = header.metadata?.[META_KEY];
  if (text === undefined) throw new TypeError('checkpoint: this safetensors file is not a torchlet training checkpoint (no torchlet.checkpoint metadata)');
  const meta = JSON.parse(text) as CheckpointMeta;
  if (meta.format !== FORMAT) throw new RangeError(`checkpoint: format ${String(meta.format)} is not one this version reads (${FORMAT})`);
  if (!Number.isSafeInteger(meta.step) || meta.step < 0) throw new RangeError(`checkpoint: bad step ${String(meta.step)}`);
  return meta;
}

/** The step a checkpoint's bytes record. */
export function checkpointStep(bytes: Uint8Array): number {
  return readMeta(bytes).step;
}

/**
 * Loads a checkpoint into the objects (each by its name), restores the random generator's
 * position and returns the step it was taken at. Checks every name first, so a checkpoint of
 * other objects changes nothing.
 */
export function restoreCheckpoint(bytes: Uint8Array, objects: Record<string, Stateful>): number {
  checkStateful(objects, 'resume');
  const meta = readMeta(bytes);
  const saved = Object.keys(meta.states).sort();
  const given = Object.keys(objects).sort();
  if (saved.join() !== given.join()) {
    throw new RangeError(`resume: the checkpoint holds ${saved.map((n) => `'${n}'`).join(', ')}, resume() was given ${given.map((n) => `'${n}'`).join(', ')}`);
  }
  const tensors = loadSafetensors(bytes);
  try {
    for (const [name, o] of Object.entries(objects)) o.loadStateDict(rebuild(meta.states[name], tensors) as never);
  } finally {
    // loadStateDict copies (modules copy into their parameters, optimizers clone): these are ours.
    for (const t of Object.values(tensors)) t.dispose();
  }
  setRngState(meta.rng);
  return meta.step;
}
