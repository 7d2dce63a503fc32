/**
 * `Module`: the base class of layers and models, as in PyTorch. Modules are plain classes whose
 * fields are their parameters, buffers and children; they are found by walking the object and
 * named by dotted path, with camelCase field names written in snake_case, so state-dict keys are
 * exactly PyTorch's (`selfAttn.inProjWeight` -> `self_attn.in_proj_weight`).
 */
import { Tensor, invalidateTraces, isGradEnabled, keep, keepFieldsAcrossSteps, noGrad, traceHost, type DTypeLike, type NestedArray } from '@torchlet/core';
import { BackwardHookCall, type FullBackwardHook } from './backward-hook.ts';
import { Callable } from './callable.ts';
import { castParameters } from './cast.ts';
import { Parameter } from './parameter.ts';

/** A state dict: PyTorch's keys to tensors, in registration order. */
export type StateDict = Record<string, Tensor>;

/** What `loadStateDict` reports (non-strict loads do not throw for these). */
export interface LoadResult {
  /** Keys of this module's state dict that `state` did not have (left unchanged), as PyTorch's `missing_keys`. */
  missingKeys: string[];
  /** Keys of `state` that this module has no parameter or persistent buffer for (ignored), as PyTorch's `unexpected_keys`. */
  unexpectedKeys: string[];
}

/**
 * `camelCase` field names as PyTorch's `snake_case` attribute names.
 *
 * @example
 * ```ts
 * console.log(nn.toSnakeCase('runningMean'));   // 'running_mean' (the state-dict spelling)
 * ```
 */
export function toSnakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** What registering a hook returns (PyTorch's `RemovableHandle`). */
export interface RemovableHandle {
  /** Unregisters the hook; calling it again does nothing. */
  remove(): void;
}

type ForwardPreHook = (module: Module, args: unknown[]) => unknown;
type ForwardHook = (module: Module, args: unknown[], output: unknown) => unknown;

interface HookSets {
  pre: Set<ForwardPreHook>;
  post: Set<ForwardHook>;
  backward: Set<FullBackwardHook>;
}

type Entry = ['param', Parameter | null] | ['buffer', Tensor | null, boolean] | ['module', Module | null];

/** The call signature that makes `net(x)` run `net.forward(x)` (see the class {@link Module}). */
export interface Module {
  /** `net(x)`: calls `forward` with the same arguments, hooks included (PyTorch's `__call__`). */
  (...args: Parameters<this['forward']>): ReturnType<this['forward']>;
}

/**
 * The base class of layers and models (PyTorch's `nn.Module`). Subclasses assign their
 * parameters, buffers and child modules to fields in the constructor and define `forward`;
 * `parameters()`, `stateDict()`, `train()`/`eval()` and `toString()` find them by walking the
 * fields. The module owns its parameters and buffers: `dispose()` frees them all.
 *
 * A module is callable as in PyTorch: `net(x)` runs `net.forward(x)` (with the forward hooks).
 * For that a module is a function object: `typeof net` is `'function'`, `net instanceof Module`
 * (and its class) and `net instanceof Function` are true; `net.apply(fn)` is PyTorch's
 * `Module.apply`, not `Function.prototype.apply`. `JSON.stringify(net)` gives `undefined` and `structuredClone(net)`
 * throws, as for any function: save and copy a module through its `stateDict()`.
 *
 * @example
 * ```ts
 * class Net extends nn.Module {
 *   fc1 = new nn.Linear(784, 128);   // children are plain fields
 *   fc2 = new nn.Linear(128, 10);
 *   forward(x: torch.Tensor): torch.Tensor {
 *     return this.fc2.forward(this.fc1.forward(x).relu());
 *   }
 * }
 * const net = new Net();
 * console.log(Object.keys(net.stateDict()));   // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * const y = net(torch.randn([32, 784]));   // [32, 10]; the same as net.forward(x)
 * ```
 */
export abstract class Module extends Callable {
  /** Training mode (dropout active, batch norm using batch statistics). */
  training = true;

  // Explicitly registered members, under their exact names (registerParameter/Buffer/Module).
  readonly #registered = new Map<string, Entry>();
  // Fields that hold buffers rather than parameters (registerBuffer on a field name).
  readonly #bufferFields = new Map<string, boolean>();

  constructor() {
    super();
    // Tensors a module stores on its fields (a cache, a buffer) survive step scopes (core's step-scope.ts).
    keepFieldsAcrossSteps(this);
  }

  /** The computation; subclasses define it with their own signature. */
  abstract forward(...args: never[]): unknown;

  /**
   * What calling the module runs (PyTorch's `__call__`): `forward` with the same arguments. The
   * forward hooks run in both `net(x)` and `net.forward(x)`, since layers call their children's
   * `forward` (PyTorch runs them in `net(x)` only).
   *
   * @example
   * ```ts
   * const fc = new nn.Linear(4, 2);
   * const x = torch.randn([3, 4]);
   * console.log(fc(x).shape, fc.__call__(x).shape);   // [3, 2] [3, 2]
   * ```
   */
  __call__(...args: Parameters<this['forward']>): ReturnType<this['forward']> {
    return (this.forward as (...a: unknown[]) => ReturnType<this['forward']>).apply(this, args);
  }

  /**
   * Registers `tensor` as a buffer: state that is saved in the state dict (unless
   * `persistent: false`) but is not a parameter, like batch norm's running statistics. It is
   * also assigned to the field of the same (camelCase) name when one exists.
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) throw new TypeError(`registerBuffer: the name must be a non-empty string without '.', got ${String(name)}`);
    if (tensor !== null && !(tensor instanceof Tensor)) throw new TypeError(`registerBuffer('${name}'): expected a Tensor or null, got ${typeof tensor}`);
    if (tensor) keep(tensor);
    if (Object.prototype.hasOwnProperty.call(this, name) && !this.#registered.has(name)) {
      (this as Record<string, unknown>)[name] = tensor;
      this.#bufferFields.set(name, persistent);
    } else {
      this.#registered.set(name, ['buffer', tensor, persistent]);
      // PyTorch's `self.scale` after `register_buffer('scale', t)`: an accessor over the entry,
      // so reading and assigning `this.scale` reads and replaces the buffer.
      Object.defineProperty(this, name, {
        configurable: true,
        enumerable: false,
        get: () => this.#registered.get(name)?.[1] ?? null,
        set: (v: Tensor | null) => {
          if (v !== null && !(v instanceof Tensor)) throw new TypeError(`cannot assign ${typeof v} as buffer '${name}' (a Tensor or null expected)`);
          if (v) keep(v);
          this.#registered.set(name, ['buffer', v, persistent]);
        },
      });
    }
  }

  /** Registers a parameter under an exact name (for names that are not fields, like `weight_ih_l0`). */
  registerParameter(name: string, param: Parameter | null): void {
    if (param !== null && !(param instanceof Parameter)) throw new TypeError(`registerParameter('${name}'): expected a Parameter or null`);
    this.#registered.set(name, ['param', param]);
  }

  /** Registers a child module under an exact name (Sequential uses '0', '1', ...). */
  registerModule(name: string, module: Module | null): void {
    if (module !== null && !(module instanceof Module)) throw new TypeError(`registerModule('${name}'): expected a Module or null`);
    this.#registered.set(name, ['module', module]);
  }

  /**
   * Runs `hook(this, args)` before every `forward` (PyTorch's `register_forward_pre_hook`): a hook
   * that returns something other than undefined replaces the arguments (an array, or one value).
   * Pruning uses it to recompute `weight` from `weight_orig * weight_mask`. Returns a handle whose
   * `remove()` drops the hook.
   */
  registerForwardPreHook(hook: (module: this, args: unknown[]) => unknown): RemovableHandle {
    return this.#addHook(this.#hooks().pre, hook as ForwardPreHook);
  }

  /**
   * Runs `hook(this, args, output)` after every `forward` (PyTorch's `register_forward_hook`): a
   * hook that returns something other than undefined replaces the output. Returns a handle whose
   * `remove()` drops the hook.
   *
   * @example
   * const acts: Tensor[] = [];
   * const h = net.fc1.registerForwardHook((m, args, out) => void acts.push(keep((out as Tensor).detach())));
   */
  registerForwardHook(hook: (module: this, args: unknown[], output: unknown) => unknown): RemovableHandle {
    return this.#addHook(this.#hooks().post, hook as ForwardHook);
  }

  /**
   * Runs `hook(this, gradInput, gradOutput)` when the gradients with respect to this module's
   * inputs have been computed (PyTorch's `register_full_backward_hook`). `gradInput` has one
   * entry per forward argument: the gradient for a tensor argument that requires one, zeros for
   * a tensor argument that does not (while another does), null for other arguments, and null
   * everywhere when no argument requires a gradient (the hook then still runs, with
   * `gradOutput`). `gradOutput` has one entry per output (a returned array's top-level entries),
   * null where an output is not a tensor or got no gradient. A hook that returns an array of the
   * same length replaces `gradInput` for what flows on. The tensors are valid during the call.
   * Registered here, the hook applies to calls that start after registration. PyTorch's older
   * `register_backward_hook` (deprecated; it reports the gradients of the module's last
   * operation only) has no torchlet twin: use this one.
   *
   * @example
   * ```ts
   * const fc = new nn.Linear(3, 2);
   * fc.registerFullBackwardHook((m, gradInput, gradOutput) => {
   *   console.log(gradInput[0]?.shape, gradOutput[0]?.shape);   // [4, 3] [4, 2]
   *   return [gradInput[0]!.mul(0.5)];                             // halves what reaches x
   * });
   * const x = torch.randn([4, 3], { requiresGrad: true });
   * fc(x).sum().backward();
   * ```
   */
  registerFullBackwardHook(hook: (module: this, gradInput: Array<Tensor | null>, gradOutput: Array<Tensor | null>) => unknown): RemovableHandle {
    return this.#addHook(this.#hooks().backward, hook as FullBackwardHook);
  }

  #addHook<H>(set: Set<H>, hook: H): RemovableHandle {
    if (typeof hook !== 'function') throw new TypeError('a hook must be a function');
    set.add(hook);
    return { remove: () => void set.delete(hook) };
  }

  /** The hook sets, installing on first use an own `forward` that runs them around the class's. */
  #hooks(): HookSets {
    if (!this.#hookSets) {
      const sets = (this.#hookSets = { pre: new Set<ForwardPreHook>(), post: new Set<ForwardHook>(), backward: new Set<FullBackwardHook>() });
      const classForward = Object.getPrototypeOf(this).forward as (...args: unknown[]) => unknown;
      Object.defineProperty(this, 'forward', {
        configurable: true,
        writable: true,
        enumerable: false,
        value: (...args: unknown[]) => {
          for (const h of [...sets.pre]) {
            const r = h(this, args);
            if (r !== undefined) args = Array.isArray(r) ? r : [r];
          }
          // PyTorch's order: pre-hooks, the inputs' gradient taps, forward, forward hooks, the outputs' taps.
          const bw = sets.backward.size && isGradEnabled() ? new BackwardHookCall(this, [...sets.backward]) : null;
          if (bw) args = bw.setupInput(args);
          let out = classForward.apply(this, args);
          for (const h of [...sets.post]) {
            const r = h(this, args, out);
            if (r !== undefined) out = r;
          }
          return bw ? bw.setupOutput(out) : out;
        },
      });
    }
    return this.#hookSets;
  }

  #hookSets: HookSets | null = null;

  /** A registered parameter, buffer or module by its exact name. */
  protected getRegistered<T>(name: string): T {
    return this.#registered.get(name)?.[1] as T;
  }

  /**
   * This module's own members in PyTorch's order: parameters, then buffers, then children, each
   * in registration order (fields in assignment order, then registered names).
   */
  #members(): Array<[string, Entry]> {
    const out: Array<[string, Entry]> = [];
    for (const [key, value] of Object.entries(this)) {
      if (key === 'training') continue;
      const name = toSnakeCase(key);
      if (this.#bufferFields.has(key)) out.push([name, ['buffer', value as Tensor | null, this.#bufferFields.get(key)!]]);
      else if (value instanceof Parameter) out.push([name, ['param', value]]);
      else if (value instanceof Module) out.push([name, ['module', value]]);
    }
    for (const [name, entry] of this.#registered) out.push([name, entry]);
    // PyTorch keeps parameters, buffers and children in three dicts, each in registration order,
    // and walks them in that order: parameters, then buffers, then children.
    const rank = { param: 0, buffer: 1, module: 2 } as const;
    return out.sort((a, b) => rank[a[1][0]] - rank[b[1][0]]);
  }

  /** Direct children with their names. */
  *namedChildren(): Generator<[string, Module]> {
    for (const [name, [kind, value]] of this.#members()) if (kind === 'module' && value) yield [name, value as Module];
  }

  /** Direct children, without names (PyTorch's `children()`). */
  *children(): Generator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** This module and every descendant, with dotted names ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.namedChildren()) yield* child.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  /** This module and every descendant, depth first, without names (PyTorch's `modules()`). */
  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Parameters with their state-dict names (each parameter once, even when shared). */
  namedParameters(prefix = '', recurse = true): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    const seen = new Set<Parameter>();
    const walk = (m: Module, pre: string): void => {
      for (const [name, [kind, value]] of m.#members()) {
        const full = pre ? `${pre}.${name}` : name;
        if (kind === 'param' && value && !seen.has(value as Parameter)) {
          seen.add(value as Parameter);
          out.push([full, value as Parameter]);
        } else if (kind === 'module' && value && recurse) walk(value as Module, full);
      }
    };
    walk(this, prefix);
    return out;
  }

  /** The learnable parameters, for an optimizer: `new optim.Adam(net.parameters())`. */
  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** Buffers with their names (all of them, persistent or not). */
  namedBuffers(prefix = '', recurse = true): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    const walk = (m: Module, pre: string): void => {
      for (const [name, entry] of m.#members()) {
        const full = pre ? `${pre}.${name}` : name;
        if (entry[0] === 'buffer' && entry[1]) out.push([full, entry[1]]);
        else if (entry[0] === 'module' && entry[1] && recurse) walk(entry[1], full);
      }
    };
    walk(this, prefix);
    return out;
  }

  /** Buffers (persistent or not), owned by the module: do not dispose them. */
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /**
   * The descendant at the dotted path `target` (PyTorch's `get_submodule`; `''` is this module).
   *
   * @example
   * net.getSubmodule('encoder.layers.0.self_attn');
   */
  getSubmodule(target: string): Module {
    if (typeof target !== 'string') throw new TypeError(`getSubmodule: expected a dotted path string, got ${typeof target}`);
    let m: Module = this;
    let path = this.constructor.name;
    for (const part of target === '' ? [] : target.split('.')) {
      const child = [...m.namedChildren()].find(([n]) => n === part)?.[1];
      if (!child) throw new Error(`${path} has no attribute \`${part}\` (children: ${[...m.namedChildren()].map(([n]) => n).join(', ') || 'none'})`);
      m = child;
      path += `.${part}`;
    }
    return m;
  }

  /** Sets `requiresGrad` on every parameter (PyTorch's `requires_grad_()`, e.g. to freeze a model); returns this. */
  requiresGrad_(requiresGrad = true): this {
    if (typeof requiresGrad !== 'boolean') throw new TypeError(`requiresGrad_: expected true or false, got ${typeof requiresGrad}`);
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /** Sets training mode here and in every descendant. */
  train(mode = true): this {
    let changed = false;
    for (const m of this.modules()) {
      if (m.training !== mode) changed = true;
      m.training = mode;
    }
    // torch.compile's plans bake the mode in (dropout, batch-norm statistics): a switch re-traces.
    if (changed) invalidateTraces();
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Drops every parameter's gradient (disposing it), or zeroes it in place with `setToNone: false`. */
  zeroGrad(setToNone = true): void {
    // Under torch.compile, a host step that every replay re-runs.
    traceHost('Module.zeroGrad', () => {
      for (const p of this.parameters()) {
        if (!p.grad) continue;
        if (setToNone) {
          p.grad.dispose();
          p.grad = null;
        } else noGrad(() => p.grad!.zero_());
      }
    });
  }

  /**
   * Converts every float parameter and buffer to the float `dtype` in place (PyTorch's
   * `module.to(dtype)`): each parameter stays the same object, so optimizers keep working; int
   * and bool buffers are left alone. Returns this.
   *
   * @example
   * net.to('bfloat16');   // or net.to(torch.bfloat16)
   */
  to(dtype: DTypeLike): this {
    return castParameters(this, dtype, 'Module.to');
  }

  /**
   * `to('float16')` (PyTorch's `module.half()`): parameters and float buffers stored in half
   * precision; ops on them compute in float32.
   *
   * @example
   * const y = net.half().float().forward(x);   // PyTorch's model.half().float()(x)
   */
  half(): this {
    return castParameters(this, 'float16', 'Module.half');
  }

  /** `to('bfloat16')` (PyTorch's `module.bfloat16()`). */
  bfloat16(): this {
    return castParameters(this, 'bfloat16', 'Module.bfloat16');
  }

  /** `to('float32')` (PyTorch's `module.float()`). */
  float(): this {
    return castParameters(this, 'float32', 'Module.float');
  }

  /** Calls `fn` on every descendant and then on this module (PyTorch's order); returns this. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * The parameters and persistent buffers under PyTorch's keys. The tensors are the module's own
   * (not copies): do not dispose them; `saveSafetensors(net.stateDict())` reads them.
   */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = {};
    const walk = (m: Module, pre: string): void => {
      for (const [name, entry] of m.#members()) {
        const full = pre ? `${pre}.${name}` : name;
        if (entry[0] === 'param' && entry[1]) out[full] = entry[1];
        else if (entry[0] === 'buffer' && entry[1] && entry[2]) out[full] = entry[1];
        else if (entry[0] === 'module' && entry[1]) walk(entry[1], full);
      }
    };
    walk(this, prefix);
    return out;
  }

  /**
   * Copies values from `state` into this module's parameters and buffers (in place, so optimizers
   * holding the parameters keep working). Shapes must match exactly; values are converted to each
   * tensor's dtype. With `strict` (the default), missing or unexpected keys throw, naming them.
   * The caller keeps ownership of `state`'s tensors.
   */
  loadStateDict(state: Readonly<Record<string, Tensor>>, strict = true): LoadResult {
    if (state === null || typeof state !== 'object') throw new TypeError('loadStateDict: expected an object of tensors');
    const own = this.stateDict();
    // Own keys only: `k in {}` is true for 'constructor', 'toString', '__proto__', ..., which let a
    // strict load accept such keys as expected.
    const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(state, k));
    const unexpectedKeys = Object.keys(state).filter((k) => !Object.hasOwn(own, k));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      throw new Error(
        `Error(s) in loading state_dict for ${this.constructor.name}: ` +
          [missingKeys.length ? `Missing key(s): ${missingKeys.map((k) => `"${k}"`).join(', ')}.` : '', unexpectedKeys.length ? `Unexpected key(s): ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}.` : '']
            .filter(Boolean)
            .join(' '),
      );
    }
    // Check every shape before writing anything, so a failed load changes nothing.
    for (const [key, target] of Object.entries(own)) {
      const src = Object.hasOwn(state, key) ? state[key] : undefined;
      if (!src) continue;
      if (!(src instanceof Tensor)) throw new TypeError(`loadStateDict: "${key}" is not a Tensor`);
      if (src.ndim !== target.ndim || src.shape.some((s, i) => s !== target.shape[i])) {
        throw new RangeError(
          `Error(s) in loading state_dict for ${this.constructor.name}: size mismatch for ${key}: copying a param with shape [${src.shape.join(', ')}] from checkpoint, the shape in current model is [${target.shape.join(', ')}].`,
        );
      }
    }
    noGrad(() => {
      for (const [key, target] of Object.entries(own)) {
        const src = Object.hasOwn(state, key) ? state[key] : undefined;
        if (src && src !== target) target.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Frees every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
    for (const b of this.buffers()) b.dispose();
  }

  /** Extra text inside this module's line of `toString()` (e.g. `in_features=784, ...`). */
  extraRepr(): string {
    return '';
  }

  /** Node's `console.log` / `util.inspect` print {@link toString}'s PyTorch form, not the function. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** Deno's `console.log` / `Deno.inspect` print {@link toString}'s PyTorch form. */
  [Symbol.for('Deno.customInspect')](): string {
    return this.toString();
  }

  /** PyTorch's module print: the tree of children with their settings. */
  override toString(): string {
    const children = [...this.namedChildren()];
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (!children.length) return `${head})`;
    const lines = children.map(([name, m]) => `  (${name}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}

/**
 * Values of a tensor state dict as nested arrays (for printing and tests).
 *
 * @example
 * ```ts
 * const fc = new nn.Linear(2, 1);
 * const json = JSON.stringify(await nn.stateDictToLists(fc.stateDict()));   // { weight: [[..]], bias: [..] }
 * ```
 */
export async function stateDictToLists(sd: StateDict): Promise<Record<string, NestedArray>> {
  const out: Record<string, NestedArray> = {};
  for (const [k, t] of Object.entries(sd)) out[k] = await t.tolist();
  return out;
}
