/** Containers: Sequential, ModuleList, ModuleDict. */
import type { Tensor } from '@torchlet/core';
import { Module } from '../module.ts';

/**
 * Runs its modules in order; children are named '0', '1', ... as in PyTorch.
 *
 * @example
 * ```ts
 * const model = new nn.Sequential(
 *   new nn.Linear(784, 128), new nn.ReLU(),
 *   new nn.Linear(128, 10),
 * );
 * const logits = model.forward(torch.randn([64, 784]));   // [64, 10]
 * console.log(Object.keys(model.stateDict())[0]);          // '0.weight', as in PyTorch
 * ```
 */
export class Sequential extends Module {
  readonly #count: number;

  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Sequential: argument ${i} is not a Module`);
      this.registerModule(String(i), m);
    });
    this.#count = layers.length;
  }

  // Read from the registry, so that `registerModule('1', m)` (quantizeDynamic, setSubmodule) swaps a layer.
  get #layers(): Module[] {
    return Array.from({ length: this.#count }, (_, i) => this.getRegistered<Module>(String(i)));
  }

  /** The number of layers. */
  override get length(): number {
    return this.#layers.length;
  }

  /** The i-th layer (negative counts from the end). */
  at(i: number): Module {
    const m = this.#layers[i < 0 ? i + this.#layers.length : i];
    if (!m) throw new RangeError(`Sequential: index ${i} is out of range for ${this.#layers.length} layers`);
    return m;
  }

  /** Iterates over the layers in order. */
  [Symbol.iterator](): Iterator<Module> {
    return this.#layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this.#layers) h = (m as unknown as { forward(t: Tensor): Tensor }).forward(h);
    return h;
  }
}

/**
 * A list of modules, registered as children '0', '1', ... (PyTorch's `nn.ModuleList`).
 *
 * @example
 * ```ts
 * const layers = new nn.ModuleList([new nn.Linear(8, 8), new nn.Linear(8, 8)]);
 * let x = torch.randn([2, 8]);
 * for (const layer of layers) x = (layer as nn.Linear).forward(x).relu();
 * console.log(layers.length, x.shape);   // 2 [2, 8]
 * ```
 */
export class ModuleList<M extends Module = Module> extends Module {
  #count = 0;

  // Read from the registry, so that `registerModule('1', m)` (quantizeDynamic, setSubmodule) swaps a module.
  get #items(): M[] {
    return Array.from({ length: this.#count }, (_, i) => this.getRegistered<M>(String(i)));
  }

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds `m` as the next child (named by its index); returns this. Throws a TypeError for a non-Module. */
  append(m: M): this {
    if (!(m instanceof Module)) throw new TypeError('ModuleList.append: expected a Module');
    this.registerModule(String(this.#count), m);
    this.#count++;
    return this;
  }

  /** The number of modules. */
  override get length(): number {
    return this.#items.length;
  }

  /** The i-th module (negative counts from the end). Throws a RangeError when out of range. */
  at(i: number): M {
    const m = this.#items[i < 0 ? i + this.#items.length : i];
    if (!m) throw new RangeError(`ModuleList: index ${i} is out of range for ${this.#items.length} modules`);
    return m;
  }

  /** Iterates over the modules in order. */
  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  forward(): never {
    throw new Error('ModuleList has no forward(): iterate over it in your own module');
  }
}

/**
 * Modules by name (PyTorch's `nn.ModuleDict`).
 *
 * @example
 * ```ts
 * const heads = new nn.ModuleDict({ cls: new nn.Linear(16, 10), reg: new nn.Linear(16, 1) });
 * const h = torch.randn([4, 16]);
 * const cls = (heads.get('cls') as nn.Linear).forward(h);   // [4, 10]
 * console.log(Object.keys(heads.stateDict()));               // ['cls.weight', 'cls.bias', 'reg.weight', 'reg.bias']
 * ```
 */
export class ModuleDict<M extends Module = Module> extends Module {
  readonly #items = new Map<string, M>();

  constructor(modules: Record<string, M> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }

  /** Adds or replaces the child `key` (its state-dict prefix); returns this. Throws a TypeError for a non-Module. */
  set(key: string, m: M): this {
    if (!(m instanceof Module)) throw new TypeError(`ModuleDict.set('${key}'): expected a Module`);
    this.registerModule(key, m);
    this.#items.set(key, m);
    return this;
  }

  /** The module under `key`, or undefined. */
  get(key: string): M | undefined {
    return this.#items.get(key);
  }

  /** Whether a module is stored under `key`. */
  has(key: string): boolean {
    return this.#items.has(key);
  }

  /** The keys, in insertion order. */
  keys(): IterableIterator<string> {
    return this.#items.keys();
  }

  /** `[key, module]` pairs, in insertion order. */
  entries(): IterableIterator<[string, M]> {
    return this.#items.entries();
  }

  /** The number of modules. */
  get size(): number {
    return this.#items.size;
  }

  forward(): never {
    throw new Error('ModuleDict has no forward(): pick modules from it in your own module');
  }
}
