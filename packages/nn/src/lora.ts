/**
 * LoRA (Hu et al. 2021, "Low-Rank Adaptation"), with the semantics and names of Hugging Face
 * PEFT: chosen Linear layers become `base_layer(x) + lora_B(lora_A(dropout(x))) * alpha / r`,
 * the base model is frozen (no gradients, so no gradient memory for it), and an adapter is
 * saved and loaded as safetensors under PEFT's keys (`base_model.model.<module>.lora_A.weight`),
 * so adapters move between torchlet and PEFT.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module } from './module.ts';
import { Linear } from './modules/linear.ts';
import { Dropout } from './modules/dropout.ts';
import { zeros_ } from './init.ts';
import { loadSafetensors, saveSafetensors } from './safetensors.ts';

/** PEFT's `LoraConfig` fields, camelCased. */
export interface LoraConfig {
  /** The rank r of the update (PEFT default 8). */
  r?: number;
  /** `lora_alpha`: the update is scaled by alpha / r (PEFT default 8). */
  alpha?: number;
  /** `lora_dropout`: dropout on the adapter's input in training (default 0). */
  dropout?: number;
  /**
   * Which Linear layers to adapt: names matched against the end of each module's dotted path
   * (`'q_proj'` matches `model.layers.0.self_attn.q_proj`), or a RegExp matched against the
   * whole path, as PEFT's `target_modules`.
   */
  targetModules: readonly string[] | RegExp;
  /** Rank-stabilised scaling alpha / sqrt(r) (PEFT's `use_rslora`, default false). */
  useRslora?: boolean;
}

type FullLoraConfig = Required<Omit<LoraConfig, 'targetModules'>> & { targetModules: readonly string[] | RegExp };
const KEYS = new Set(['r', 'alpha', 'dropout', 'targetModules', 'useRslora']);

function fullConfig(c: LoraConfig): FullLoraConfig {
  if (c === null || typeof c !== 'object') throw new TypeError('LoRA: expected a config object with targetModules');
  for (const k of Object.keys(c)) {
    if (!KEYS.has(k)) {
      const hint: Record<string, string> = { lora_alpha: 'alpha', lora_dropout: 'dropout', target_modules: 'targetModules', use_rslora: 'useRslora' };
      throw new TypeError(`LoRA: unknown config key '${k}'${hint[k] ? ` (did you mean ${hint[k]}?)` : ''}; known: ${[...KEYS].join(', ')}`);
    }
  }
  const f = { r: 8, alpha: 8, dropout: 0, useRslora: false, ...c } as FullLoraConfig;
  if (!Number.isInteger(f.r) || f.r <= 0) throw new RangeError(`LoRA: r must be a positive integer, got ${String(f.r)}`);
  if (typeof f.alpha !== 'number' || !Number.isFinite(f.alpha)) throw new RangeError(`LoRA: alpha must be a finite number, got ${String(f.alpha)}`);
  if (typeof f.dropout !== 'number' || !(f.dropout >= 0 && f.dropout < 1)) throw new RangeError(`LoRA: dropout must be in [0, 1), got ${String(f.dropout)}`);
  const tm = f.targetModules;
  if (!(tm instanceof RegExp) && !(Array.isArray(tm) && tm.length > 0 && tm.every((s) => typeof s === 'string' && s.length > 0))) {
    throw new TypeError('LoRA: targetModules must be a non-empty array of module names or a RegExp');
  }
  return f;
}

/**
 * A Linear layer with a LoRA adapter (PEFT's `lora.Linear`): `base_layer` (frozen), `lora_A`
 * `(in -> r)` initialised as Linear's default (Kaiming-uniform), `lora_B` `(r -> out)` initialised
 * to zeros, so a fresh adapter leaves the output unchanged. State-dict keys `base_layer.*`,
 * `lora_A.weight`, `lora_B.weight`, as PEFT's model.
 *
 * @example
 * ```ts
 * const lora = new nn.LoraLinear(new nn.Linear(64, 64), { r: 8, alpha: 16, targetModules: ['fc'] });   // usually made by applyLora
 * const y = lora.forward(torch.randn([2, 64]));   // base(x) + (alpha / r) * B(A(x)); B starts at zero
 * lora.merge();                                   // folds B A into the base weight for inference
 * ```
 */
export class LoraLinear extends Module {
  /** The adapted layer; its parameters are frozen by {@link applyLora}. */
  base_layer: Linear;
  /** Dropout on the adapter's input (identity at 0). */
  lora_dropout: Dropout;
  /** `in -> r`, no bias. */
  lora_A: Linear;
  /** `r -> out`, no bias, zeros at first. */
  lora_B: Linear;
  /** alpha / r (or alpha / sqrt(r) with rsLoRA). */
  readonly scaling: number;
  #merged = false;

  constructor(base: Linear, config: LoraConfig) {
    super();
    if (!(base instanceof Linear)) throw new TypeError(`LoraLinear: expected a Linear layer to adapt, got ${base === null ? 'null' : (base as object).constructor?.name ?? typeof base}`);
    const c = fullConfig(config);
    const [out, inF] = base.weight.shape as [number, number];
    this.base_layer = base;
    this.lora_dropout = new Dropout(c.dropout);
    this.lora_A = new Linear(inF, c.r, { bias: false });
    this.lora_B = new Linear(c.r, out, { bias: false });
    zeros_(this.lora_B.weight);
    this.scaling = c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
  }

  /** Whether the update is folded into `base_layer.weight` ({@link merge}). */
  get merged(): boolean {
    return this.#merged;
  }

  /** `base_layer(x) + lora_B(lora_A(dropout(x))) * scaling` (just `base_layer(x)` while merged). */
  forward(x: Tensor): Tensor {
    if (this.#merged) return this.base_layer.forward(x);
    return T.tidy(() => this.base_layer.forward(x).add(this.lora_B.forward(this.lora_A.forward(this.lora_dropout.forward(x))).mul(this.scaling)));
  }

  /** The update `B A * scaling` `(out, in)`; a new tensor the caller owns. */
  deltaWeight(): Tensor {
    return T.tidy(() => this.lora_B.weight.matmul(this.lora_A.weight).mul(this.scaling));
  }

  /** Folds the update into `base_layer.weight` in place (inference without the extra matmuls). Throws when already merged. */
  merge(): void {
    if (this.#merged) throw new Error('LoraLinear.merge: already merged');
    T.noGrad(() => T.tidy(() => void this.base_layer.weight.add_(this.deltaWeight())));
    this.#merged = true;
  }

  /** Takes the update back out of `base_layer.weight` (up to float rounding). Throws when not merged. */
  unmerge(): void {
    if (!this.#merged) throw new Error('LoraLinear.unmerge: not merged');
    T.noGrad(() => T.tidy(() => void this.base_layer.weight.sub_(this.deltaWeight())));
    this.#merged = false;
  }
}

function matches(path: string, target: readonly string[] | RegExp): boolean {
  if (target instanceof RegExp) return new RegExp(`^(?:${target.source})$`, target.flags.replace('g', '')).test(path);
  return target.some((t) => path === t || path.endsWith(`.${t}`));
}

/** Replaces `parent`'s child `child` (a field or a registered module) with `replacement`. */
function replaceChild(parent: Module, name: string, child: Module, replacement: Module): void {
  for (const [key, value] of Object.entries(parent)) {
    if (value === child) {
      (parent as unknown as Record<string, unknown>)[key] = replacement;
      return;
    }
  }
  parent.registerModule(name, replacement);
}

/**
 * PEFT's `get_peft_model` for LoRA: wraps every Linear of `model` whose path matches
 * `config.targetModules` in a {@link LoraLinear}, in place, and freezes every other parameter
 * (`requiresGrad` false), so training updates only the adapters and keeps no gradients for the
 * base. Returns the paths adapted. Throws when nothing matches, naming the Linear layers there
 * are, or when a match is not a Linear.
 *
 * @example
 * ```ts
 * const model = new nn.ModuleDict({ q_proj: new nn.Linear(16, 16), v_proj: new nn.Linear(16, 16) });
 * const adapted = nn.applyLora(model, { r: 8, alpha: 16, targetModules: ['q_proj', 'v_proj'] });
 * console.log(adapted);   // ['q_proj', 'v_proj']: only the adapters' A and B train now
 * const opt = new optim.AdamW(model.parameters().filter((p) => p.requiresGrad), { lr: 1e-3 });
 * ```
 */
export function applyLora(model: Module, config: LoraConfig): string[] {
  const c = fullConfig(config);
  const found: Array<[string, Module, string, Linear]> = [];
  const linears: string[] = [];
  const visit = (m: Module, path: string): void => {
    for (const [name, child] of m.namedChildren()) {
      const p = path ? `${path}.${name}` : name;
      if (child instanceof LoraLinear) continue;
      if (child instanceof Linear) linears.push(p);
      if (matches(p, c.targetModules)) {
        if (!(child instanceof Linear)) throw new TypeError(`applyLora: ${p} matches targetModules but is a ${child.constructor.name}; LoRA adapts Linear layers`);
        found.push([p, m, name, child]);
      } else visit(child, p);
    }
  };
  visit(model, '');
  if (found.length === 0) throw new RangeError(`applyLora: no module matches targetModules ${c.targetModules instanceof RegExp ? String(c.targetModules) : JSON.stringify(c.targetModules)}; the Linear layers are: ${linears.slice(0, 12).join(', ')}${linears.length > 12 ? ', ...' : ''}`);
  for (const p of model.parameters()) p.requiresGrad_(false);
  for (const [, parent, name, linear] of found) replaceChild(parent, name, linear, new LoraLinear(linear, c));
  return found.map(([p]) => p);
}

/**
 * Every adapter of `model` with its dotted path.
 *
 * @example
 * ```ts
 * const model = new nn.ModuleDict({ q_proj: new nn.Linear(16, 16), v_proj: new nn.Linear(16, 16) });
 * nn.applyLora(model, { r: 4, targetModules: ['q_proj', 'v_proj'] });
 * console.log(nn.loraLayers(model).map(([name]) => name));   // ['q_proj', 'v_proj']
 * ```
 */
export function loraLayers(model: Module): Array<[string, LoraLinear]> {
  return [...model.namedModules()].filter((e): e is [string, LoraLinear] => e[1] instanceof LoraLinear);
}

const PEFT_PREFIX = 'base_model.model.';

/**
 * The adapters' weights under PEFT's saved keys (`base_model.model.<path>.lora_A.weight`,
 * `...lora_B.weight`): the module's own tensors (not copies; do not dispose them).
 *
 * @example
 * ```ts
 * const model = new nn.ModuleDict({ q_proj: new nn.Linear(16, 16), v_proj: new nn.Linear(16, 16) });
 * nn.applyLora(model, { r: 4, targetModules: ['q_proj', 'v_proj'] });
 * console.log(Object.keys(nn.loraStateDict(model)));   // the adapters' lora_A / lora_B weights only
 * ```
 */
export function loraStateDict(model: Module): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [path, l] of loraLayers(model)) {
    out[`${PEFT_PREFIX}${path}.lora_A.weight`] = l.lora_A.weight;
    out[`${PEFT_PREFIX}${path}.lora_B.weight`] = l.lora_B.weight;
  }
  return out;
}

/**
 * The adapters as PEFT's `adapter_model.safetensors` bytes (async: reads the weights back).
 * Pair it with an `adapter_config.json` of `{ peft_type: 'LORA', r, lora_alpha, target_modules, ... }`.
 *
 * @example
 * ```ts
 * const model = new nn.ModuleDict({ q_proj: new nn.Linear(16, 16), v_proj: new nn.Linear(16, 16) });
 * nn.applyLora(model, { r: 4, targetModules: ['q_proj', 'v_proj'] });
 * const bytes = await nn.saveLoraAdapter(model);   // a small safetensors file with the adapters alone
 * ```
 */
export async function saveLoraAdapter(model: Module): Promise<Uint8Array> {
  const sd = loraStateDict(model);
  if (Object.keys(sd).length === 0) throw new Error('saveLoraAdapter: the model has no LoRA adapters (applyLora first)');
  return saveSafetensors(sd, { format: 'pt' });
}

/**
 * Loads PEFT adapter weights (`adapter_model.safetensors` bytes) into the adapters `applyLora`
 * made, in place: the file's keys must be exactly the model's adapter keys with the same shapes
 * (an error names the first that is not).
 *
 * @example
 * ```ts
 * const model = new nn.ModuleDict({ q_proj: new nn.Linear(16, 16), v_proj: new nn.Linear(16, 16) });
 * nn.applyLora(model, { r: 4, targetModules: ['q_proj', 'v_proj'] });
 * const bytes = await nn.saveLoraAdapter(model);
 * nn.loadLoraAdapter(model, bytes);   // e.g. into a fresh copy of the base model with LoRA applied
 * ```
 */
export function loadLoraAdapter(model: Module, bytes: Uint8Array): void {
  const mine = loraStateDict(model);
  if (Object.keys(mine).length === 0) throw new Error('loadLoraAdapter: the model has no LoRA adapters (applyLora with the adapter config first)');
  const theirs = loadSafetensors(bytes);
  try {
    for (const k of Object.keys(theirs)) if (!(k in mine)) throw new Error(`loadLoraAdapter: the adapter has ${k}, which the model's adapters do not (targetModules or the model differ)`);
    for (const [k, t] of Object.entries(mine)) {
      const src = theirs[k];
      if (!src) throw new Error(`loadLoraAdapter: the adapter has no ${k}`);
      if (src.shape.join() !== t.shape.join()) throw new Error(`loadLoraAdapter: ${k} has shape [${src.shape.join(', ')}], the model's is [${t.shape.join(', ')}] (r differs?)`);
    }
    T.noGrad(() => {
      for (const [k, t] of Object.entries(mine)) t.copy_(theirs[k]!);
    });
  } finally {
    for (const t of Object.values(theirs)) t.dispose();
  }
}
