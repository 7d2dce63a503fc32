// Backend calls as the profiles see them: `timeBackendCalls` wraps every method of a backend and
// of its `fused` kernels so that each outermost call runs through the script's `timed(method, args,
// run)` (what `timed` does with it, time it, repeat it, note its call site, is the script's). A
// backend method that calls another is one call, the outer one. A replay runs calls it had the
// backend prepare (Backend.prepare, fused.prepareElementwise, fused.prepareReduction): each run of
// one is a call of the kernel it stands for, and the preparing itself is no call.

/**
 * Wraps `backend`'s methods and its `fused.*` kernels in place (before the trace: a plan binds the
 * backend's methods when it is built). `timed(method, args, run)` must return `run()`'s result.
 */
export function timeBackendCalls(backend, timed) {
  let inside = false;
  /** `run` as one call of `method` on `args`, unless it is part of a call already running. */
  const call = (method, args, run) => {
    if (inside) return run();
    inside = true;
    try {
      return timed(method, args, run);
    } finally {
      inside = false;
    }
  };
  const wrap = (obj, prefix) => {
    for (const k of new Set([...Object.getOwnPropertyNames(Object.getPrototypeOf(obj)), ...Object.keys(obj)])) {
      const f = obj[k];
      if (typeof f !== 'function' || k === 'constructor') continue;
      // prepareElementwise's runs are calls of `fused.elementwise`; Backend.prepare(method, args)'s
      // are calls of `method` on `args`.
      const prepared = /^prepare[A-Z]/.test(k) ? `${prefix}${k[7].toLowerCase()}${k.slice(8)}` : k === 'prepare' ? '' : null;
      obj[k] = prepared === null
        ? function (...a) {
          return call(prefix + k, a, () => f.apply(this, a));
        }
        : function (...a) {
          const was = inside;
          inside = true; // what preparing calls is not a call of its own
          let run;
          try {
            run = f.apply(this, a);
          } finally {
            inside = was;
          }
          return run && (prepared === '' ? () => call(a[0], a[1], run) : () => call(prepared, a, run));
        };
    }
  };
  wrap(backend, '');
  const fused = { ...backend.fused };
  wrap(fused, 'fused.');
  Object.defineProperty(backend, 'fused', { value: fused, configurable: true });
}
