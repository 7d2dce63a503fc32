/**
 * The key a compiled function caches plans under: for each tensor argument its shape, dtype,
 * strides, backend instance, whether it requires grad and which earlier argument shares its buffer;
 * for other arguments their value (numbers, strings, booleans, null, undefined; arrays and plain
 * objects by their contents; anything else, a module say, by identity); plus the grad mode and
 * the count of train/eval switches. Equal keys trace to the same plan.
 */
import { isGradEnabled } from '../grad-hook.ts';
import { isTensor, type Tensor } from '../tensor.ts';
import { traceEpoch } from './hooks.ts';

const ids = new WeakMap<object, number>();
let nextId = 0;
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = ++nextId));
  return id;
}

/** The cache key of a call, and its tensor arguments in order (how a replay finds them). */
export interface Signature {
  readonly key: string;
  readonly tensors: Tensor[];
}

/** The signature of `args`. */
export function signatureOf(args: readonly unknown[]): Signature {
  const tensors: Tensor[] = [];
  const parts: string[] = [`g${isGradEnabled() ? 1 : 0}e${traceEpoch()}`];
  const walk = (x: unknown, depth: number): void => {
    if (isTensor(x)) {
      x.view_(); // a disposed argument throws here, naming itself
      const alias = tensors.findIndex((t) => t.storage === x.storage);
      const shared = alias >= 0 ? `@${alias}:${x.offset - tensors[alias]!.offset}` : '';
      tensors.push(x);
      parts.push(`T${x.dtype}[${x.shape.join(',')}]s${x.strides.join(',')}b${idOf(x.backend)}${x.requiresGrad ? 'r' : ''}${shared}`);
    } else if (x === null || x === undefined || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint') {
      parts.push(Object.is(x, -0) ? '-0' : `${typeof x}:${String(x)}`);
    } else if (typeof x === 'string') {
      parts.push(JSON.stringify(x));
    } else if (Array.isArray(x) && depth < 8) {
      parts.push(`[${x.length}`);
      for (const v of x) walk(v, depth + 1);
      parts.push(']');
    } else if (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype && depth < 8) {
      parts.push('{');
      for (const [k, v] of Object.entries(x)) {
        parts.push(JSON.stringify(k));
        walk(v, depth + 1);
      }
      parts.push('}');
    } else {
      parts.push(`#${idOf(x as object)}`);
    }
  };
  for (const a of args) walk(a, 0);
  return { key: parts.join('|'), tensors };
}
