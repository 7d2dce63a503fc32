/**
 * `quantizeDynamic` (PyTorch's `torch.quantization.quantize_dynamic`) and the checkpoint format
 * of quantised models.
 */
import * as T from '@torchlet/core';
import type { Tensor } from '@torchlet/core';
import { Module, toSnakeCase } from '../module.ts';
import { Linear } from '../modules/linear.ts';
import { ModuleDict } from '../modules/container.ts';
import { readSafetensorsHeader, saveSafetensors, SafetensorsError, type RawTensor } from '../safetensors.ts';
import { Float16Linear, QuantizedLinear } from './quantized-linear.ts';

/** Options of {@link quantizeDynamic}. */
export interface QuantizeDynamicOptions {
  /** 'int8' (default): int8 weights, int8 activations; 'float16': half-precision weight storage. */
  dtype?: 'int8' | 'float16';
  /**
   * The module types to quantise (PyTorch's `qconfig_spec` set); default `[Linear]`, the only
   * type supported. Any other type is an error.
   */
  // any[]: constructors taking PyTorch-style rest arguments (positional or options) are not assignable to never[].
  modules?: ReadonlyArray<abstract new (...args: any[]) => Module>;
}

/**
 * Replaces every `Linear` in `model` (MultiheadAttention's `out_proj` and the Transformer
 * layers' `linear1`/`linear2` included; MultiheadAttention's packed `in_proj_weight` is a plain
 * parameter and stays float32) by a {@link QuantizedLinear} (int8) or a {@link Float16Linear}.
 * Works in place (unlike PyTorch's default `inplace=False`) and returns `model`, or the new layer
 * when `model` itself is a Linear. The replaced layers are disposed. Async because it reads
 * the weights. Inference only: the result has no trainable Linear weights.
 *
 * @example
 * ```ts
 * const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
 * const before = nn.quantization.modelBytes(model);
 * const q = await nn.quantizeDynamic(model);   // torch.ao.quantization.quantize_dynamic: Linear -> int8
 * console.log(before, nn.quantization.modelBytes(q));   // about 4x smaller
 * ```
 */
export async function quantizeDynamic<M extends Module>(model: M, options: QuantizeDynamicOptions = {}): Promise<M | QuantizedLinear | Float16Linear> {
  if (!(model instanceof Module)) throw new TypeError('quantizeDynamic: expected a Module');
  const dtype = options.dtype ?? 'int8';
  if (dtype !== 'int8' && dtype !== 'float16') throw new RangeError(`quantizeDynamic: dtype must be 'int8' or 'float16', got ${String(dtype)}`);
  for (const type of options.modules ?? [Linear]) {
    if (type !== Linear) {
      throw new TypeError(`quantizeDynamic: ${type?.name ?? String(type)} is not supported for dynamic quantisation (supported: Linear)`);
    }
  }
  const convert = (l: Linear): Promise<QuantizedLinear | Float16Linear> => (dtype === 'int8' ? QuantizedLinear.fromFloat(l) : Float16Linear.fromFloat(l));
  if (model instanceof Linear) {
    const q = await convert(model);
    model.dispose();
    return q;
  }
  const targets: Array<[Module, string, Linear]> = [];
  for (const [, parent] of model.namedModules()) {
    for (const [name, child] of parent.namedChildren()) if (child instanceof Linear) targets.push([parent, name, child]);
  }
  for (const [parent, name, child] of targets) {
    setChild(parent, name, await convert(child));
    child.dispose();
  }
  return model;
}

/** Puts `m` where `parent`'s child `name` is: a field (camelCase) or a registered name. */
function setChild(parent: Module, name: string, m: Module): void {
  if (parent instanceof ModuleDict) {
    parent.set(name, m as never);
    return;
  }
  for (const key of Object.keys(parent)) {
    if (toSnakeCase(key) === name && (parent as unknown as Record<string, unknown>)[key] instanceof Module) {
      (parent as unknown as Record<string, unknown>)[key] = m;
      return;
    }
  }
  parent.registerModule(name, m);
}

/** Marks a quantised checkpoint in the safetensors metadata. */
const FORMAT_KEY = 'torchlet.quantization';

/**
 * A quantised model's checkpoint as safetensors bytes: each {@link QuantizedLinear} writes
 * `<name>.weight` (I8, `[out, in]`), `<name>.weight_scale` (F32) and `<name>.bias`; each
 * {@link Float16Linear} `<name>.weight` (F16) and `<name>.bias`; every other tensor is the
 * model's own state dict. A float model rejects the file: loadSafetensors refuses I8 with a
 * message pointing here, and Module.loadStateDict reports `weight_scale` as unexpected.
 *
 * @example
 * ```ts
 * const q = await nn.quantizeDynamic(new nn.Sequential(new nn.Linear(16, 4)));
 * const bytes = await nn.saveQuantized(q);   // safetensors with int8 weights and scales
 * ```
 */
export async function saveQuantized(model: Module): Promise<Uint8Array> {
  const sd: Record<string, Tensor | RawTensor> = { ...model.stateDict() };
  let kinds = new Set<string>();
  for (const [name, m] of model.namedModules()) {
    const key = name ? `${name}.weight` : 'weight';
    if (m instanceof QuantizedLinear) {
      sd[key] = { dtype: 'I8', shape: [m.outFeatures, m.inFeatures], data: m.weightInt8 };
      kinds.add('dynamic-int8');
    } else if (m instanceof Float16Linear) {
      sd[key] = { dtype: 'F16', shape: [m.outFeatures, m.inFeatures], data: m.weightHalf };
      kinds.add('float16');
    }
  }
  if (!kinds.size) kinds = new Set(['none']);
  return saveSafetensors(sd, { [FORMAT_KEY]: [...kinds].sort().join(',') });
}

/**
 * Loads a checkpoint written by {@link saveQuantized} into a model of the same architecture that
 * was quantised the same way (`await quantizeDynamic(model)` first). Keys, shapes and dtypes must
 * all match; nothing is written before everything has been checked.
 *
 * @example
 * ```ts
 * const bytes = await nn.saveQuantized(await nn.quantizeDynamic(new nn.Sequential(new nn.Linear(16, 4))));
 * const fresh = await nn.quantizeDynamic(new nn.Sequential(new nn.Linear(16, 4)));
 * nn.loadQuantized(fresh, bytes);
 * ```
 */
export function loadQuantized(model: Module, bytes: Uint8Array): void {
  const header = readSafetensorsHeader(bytes);
  const entries = new Map(header.tensors);
  const quantised = new Map<string, QuantizedLinear | Float16Linear>();
  for (const [name, m] of model.namedModules()) {
    if (m instanceof QuantizedLinear || m instanceof Float16Linear) quantised.set(name ? `${name}.weight` : 'weight', m);
  }
  const own = model.stateDict();
  const expected = new Set([...Object.keys(own), ...quantised.keys()]);
  const missing = [...expected].filter((k) => !entries.has(k));
  const unexpected = [...entries.keys()].filter((k) => !expected.has(k));
  if (missing.length || unexpected.length) {
    throw new Error(
      `loadQuantized: the checkpoint does not fit ${model.constructor.name}` +
        (missing.length ? `; missing: ${missing.join(', ')}` : '') +
        (unexpected.length ? `; unexpected: ${unexpected.join(', ')}` : '') +
        (quantised.size ? '' : ' (this model has no quantised layers: call quantizeDynamic(model) first)'),
    );
  }
  const bodyAt = (k: string): [number, number] => {
    const e = entries.get(k)!;
    return [header.dataStart + e.dataOffsets[0], e.dataOffsets[1] - e.dataOffsets[0]];
  };
  const check = (k: string, dtype: string, shape: readonly number[]): void => {
    const e = entries.get(k)!;
    if (e.dtype !== dtype || e.shape.length !== shape.length || e.shape.some((s, i) => s !== shape[i])) {
      throw new SafetensorsError(`loadQuantized: "${k}" is ${e.dtype} [${e.shape.join(', ')}], the model needs ${dtype} [${shape.join(', ')}]`);
    }
  };
  for (const [k, m] of quantised) check(k, m instanceof QuantizedLinear ? 'I8' : 'F16', [m.outFeatures, m.inFeatures]);
  for (const [k, t] of Object.entries(own)) check(k, t.dtype === 'float32' ? 'F32' : t.dtype === 'int32' ? 'I32' : 'BOOL', t.shape);
  // Everything fits: write.
  for (const [k, m] of quantised) {
    const [at, len] = bodyAt(k);
    if (m instanceof QuantizedLinear) m.weightInt8.set(new Int8Array(bytes.buffer, bytes.byteOffset + at, len));
    else {
      const dv = new DataView(bytes.buffer, bytes.byteOffset + at, len);
      for (let i = 0; i < m.weightHalf.length; i++) m.weightHalf[i] = dv.getUint16(2 * i, true);
    }
    m.invalidate();
  }
  T.noGrad(() => {
    for (const [k, t] of Object.entries(own)) {
      const [at, len] = bodyAt(k);
      const src = bytes.slice(at, at + len);
      const dtype = t.dtype;
      const data = dtype === 'float32' ? new Float32Array(src.buffer) : dtype === 'int32' ? new Int32Array(src.buffer) : new Uint8Array(src.buffer);
      const tmp = T.fromArray(data, t.shape, { dtype });
      t.copy_(tmp);
      tmp.dispose();
    }
  });
  for (const m of quantised.values()) if (m instanceof QuantizedLinear) m.syncScales();
}

/**
 * Bytes of a model's weights as stored: float32 tensors 4 per element, int8 1, float16 2.
 *
 * @example
 * ```ts
 * console.log(nn.quantization.modelBytes(new nn.Linear(100, 10)));   // 4040: (1000 + 10) float32 values
 * ```
 */
export function modelBytes(model: Module): number {
  let bytes = 0;
  for (const t of Object.values(model.stateDict())) bytes += t.numel() * (t.dtype === 'bool' ? 1 : 4);
  for (const m of model.modules()) {
    if (m instanceof QuantizedLinear) bytes += m.weightInt8.length;
    else if (m instanceof Float16Linear) bytes += 2 * m.weightHalf.length;
  }
  return bytes;
}
