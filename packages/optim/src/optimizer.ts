import { checkOptions, enableGrad, isTensor, isTracing, keep, leaveStep, noGrad, parseArgs, stepBoundary, tidy, traceHost, type Tensor } from '@torchlet/core';
import { disposeScalars, tracedRuleOf, tracedStep } from './traced.ts';

/** The option every optimizer has. */
export interface OptimizerOptions {
  /** The learning rate: the step size each update is scaled by. Schedulers rewrite it per group. */
  lr: number;
}

/**
 * Keys that lr schedulers add to a param group (PyTorch's `initial_lr`, `max_lr`, `min_lr`,
 * `max_momentum`, `base_momentum`).
 */
export interface SchedulerGroupFields {
  /**
   * The group's starting learning rate (PyTorch's `initial_lr`): set to `lr` by the first
   * scheduler constructed if missing, so later schedulers start from it too; OneCycleLR sets
   * it to `maxLr / divFactor`.
   */
  initialLr?: number;
  /** OneCycleLR's peak learning rate for the group (PyTorch's `max_lr`). */
  maxLr?: number;
  /** OneCycleLR's final learning rate for the group (PyTorch's `min_lr`). */
  minLr?: number;
  /**
   * OneCycleLR's upper momentum (or beta1) bound for the group, used at the start and end of the cycle
   * (PyTorch's `max_momentum`).
   */
  maxMomentum?: number;
  /**
   * OneCycleLR's lower momentum (or beta1) bound for the group, reached at the peak learning rate
   * (PyTorch's `base_momentum`).
   */
  baseMomentum?: number;
}

const SCHEDULER_FIELDS = ['initialLr', 'maxLr', 'minLr', 'maxMomentum', 'baseMomentum'];
const BOOLEAN_OPTIONS = ['amsgrad', 'maximize', 'nesterov', 'centered'];
const NUMBER_OPTIONS = ['lr', 'momentum', 'dampening', 'weightDecay', 'eps', 'alpha', 'lrDecay', 'initialAccumulatorValue', ...SCHEDULER_FIELDS];

/**
 * Type checks of the built-in optimizers' options, so that a plain-JavaScript `{ amsgrad: 1 }` or
 * `{ lr: '0.1' }` throws instead of training with a coerced value. Other keys are left to
 * `validateOptions`.
 */
function checkOptionTypes(name: string, o: object): void {
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const want = k === 'betas' ? 'array' : BOOLEAN_OPTIONS.includes(k) ? 'boolean' : NUMBER_OPTIONS.includes(k) ? 'number' : null;
    if (want && (want === 'array' ? !Array.isArray(v) : typeof v !== want)) {
      throw new TypeError(`${name}: ${k} must be ${want === 'array' ? 'an array' : `a ${want}`}, got ${typeof v} (${String(v)})`);
    }
  }
}

/**
 * An optimizer's options from PyTorch's positional order `order` after `params` (`SGD(params,
 * 0.1, 0.9)`) and/or an options object; `keywordOnly` names options PyTorch takes by keyword only
 * (`maximize`). An unknown key throws naming the closest known one (`weight_decay` →
 * `weightDecay`).
 */
export function optimizerArgs<O>(name: string, args: readonly unknown[], order: readonly string[], keywordOnly: readonly string[] = ['maximize']): O {
  return parseArgs(name, args, order, keywordOnly) as O;
}

/** The parameters of a param group. */
export interface GroupParams {
  /** The tensors this group's options apply to (float32, requiring grad). */
  params: Tensor[];
}

/** The parameters given for a param group. */
export interface GroupParamsInit {
  /** One tensor or any iterable of them (e.g. `module.parameters()`). */
  params: Iterable<Tensor> | Tensor;
}

/** A param group in a state dict: its parameters by index, as PyTorch saves them. */
export interface GroupParamIndices {
  /** Indices of the group's parameters in the optimizer's overall order. */
  params: number[];
}

/** A parameter group: its parameters and its own copy of every option (mutable, e.g. by schedulers). */
export type ParamGroup<O> = O & SchedulerGroupFields & GroupParams;

/** A group as passed to a constructor: parameters plus any options that differ from the defaults. */
export type ParamGroupInit<O> = Partial<O> & GroupParamsInit;

/** What an optimizer is constructed from: parameters, or param groups with per-group options. */
export type ParamsInput<O> = Iterable<Tensor> | Iterable<ParamGroupInit<O>>;

/** One parameter's state under PyTorch's keys (`step`, `exp_avg`, `momentum_buffer`, ...). */
export type ParamState = Record<string, Tensor | number>;

/**
 * PyTorch's optimizer state-dict layout: parameters are numbered 0, 1, ... across the groups in
 * order; `state` holds each parameter's state by that number and `param_groups` each group's
 * options (snake_case keys, as PyTorch writes them) with the numbers of its parameters.
 */
export interface OptimizerStateDict {
  /**
   * Each parameter's state by its number, under PyTorch's keys (`step`, `exp_avg`, ...); parameters
   * with no state yet are absent.
   */
  state: Record<number, Record<string, Tensor | number>>;
  /**
   * One entry per group, in order: its options under snake_case keys (`lr`, `weight_decay`, ...) and
   * `params`, the numbers of its parameters.
   */
  param_groups: Array<Record<string, unknown> & GroupParamIndices>;
}

/** PyTorch's implementation switches: accepted in a loaded state dict and dropped. */
const PYTORCH_ONLY_KEYS = new Set(['foreach', 'capturable', 'differentiable', 'fused']);

const toSnake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (k: string): string => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

function copyOption(v: unknown): unknown {
  return Array.isArray(v) ? [...v] : v;
}

/**
 * The base of every optimizer (PyTorch's `torch.optim.Optimizer`).
 *
 * Memory: the optimizer owns its state tensors (created on the first `step()` that sees a
 * parameter's gradient, kept out of any enclosing `tidy()`, updated in place afterwards) and
 * frees them in `dispose()`. It never owns the parameters. `step()` frees every temporary it
 * creates before it returns, so a training loop holds memory flat.
 *
 * @example
 * ```ts
 * // The base class: param groups, zeroGrad(), step(), stateDict(); subclasses define the update.
 * const model = new nn.Linear(4, 2);
 * const opt: optim.Optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
 * console.log(opt.paramGroups[0]!.lr);   // 0.1
 * ```
 */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions> {
  /** The options of groups that do not set their own. */
  readonly defaults: Readonly<O>;
  /**
   * The param groups, in order (PyTorch's `param_groups`). Their option fields may be changed between
   * steps (schedulers do); add groups with `addParamGroup`, not by pushing here.
   */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created lazily by `step()`. */
  readonly state = new Map<Tensor, ParamState>();

  /**
   * @param params parameters (float32 tensors with `requiresGrad`, leaves) or param groups
   * @param defaults every option; an `undefined` value marks an option each group must set
   *   (SGD's `lr`, as PyTorch's `required`)
   */
  constructor(params: ParamsInput<O>, defaults: O) {
    if (isTensor(params)) {
      throw new TypeError('params argument given to the optimizer should be an iterable of Tensors or param groups, but got a Tensor');
    }
    checkOptionTypes(this.constructor.name, defaults);
    this.validateOptions(defaults);
    this.defaults = defaults;
    const list = [...(params as Iterable<Tensor | ParamGroupInit<O>>)];
    if (list.length === 0) throw new RangeError('optimizer got an empty parameter list');
    const isGroup = typeof list[0] === 'object' && list[0] !== null && !isTensor(list[0]);
    const groups: ParamGroupInit<O>[] = !isGroup ? [{ params: list as Tensor[] } as unknown as ParamGroupInit<O>] : (list as ParamGroupInit<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /**
   * Checks one set of options (the defaults, then each group with defaults filled in) and
   * throws a RangeError naming the bad value. Options still `undefined` are skipped.
   */
  protected abstract validateOptions(options: Partial<O>): void;

  /**
   * Updates one parameter in place from its gradient. Called by `step()` inside `noGrad` and a
   * `tidy` of its own, so temporaries need no care; state tensors it creates must be passed
   * through core's `keep()` and stored in `state`.
   */
  protected abstract updateParam(param: Tensor, grad: Tensor, group: ParamGroup<O>, state: ParamState): void;

  /** Adds a param group (PyTorch's `add_param_group`), e.g. to train more layers later. */
  addParamGroup(group: ParamGroupInit<O>): void {
    if (group === null || typeof group !== 'object' || isTensor(group) || !('params' in group)) {
      throw new TypeError('a param group must be an object with a `params` field');
    }
    const raw = group.params;
    if (raw instanceof Set) {
      throw new TypeError('optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use an array instead.');
    }
    const params = isTensor(raw) ? [raw] : [...raw];
    if (params.length === 0) throw new RangeError('optimizer got an empty parameter list');
    for (const p of params) checkParam(p);
    if (new Set(params).size !== params.length) {
      throw new RangeError('optimizer contains a parameter group with duplicate parameters');
    }
    for (const g of this.paramGroups) {
      if (g.params.some((p) => params.includes(p))) throw new RangeError('some parameters appear in more than one parameter group');
    }
    const name = this.constructor.name;
    checkOptions(`${name} param group`, group, ['params', ...Object.keys(this.defaults), ...SCHEDULER_FIELDS]);
    const merged: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.defaults)) merged[k] = copyOption(v);
    for (const [k, v] of Object.entries(group)) if (k !== 'params' && v !== undefined) merged[k] = copyOption(v);
    for (const [k, v] of Object.entries(merged)) {
      if (v === undefined) throw new RangeError(`parameter group didn't specify a value of required optimization parameter ${k}`);
    }
    checkOptionTypes(name, merged);
    this.validateOptions(merged as Partial<O>);
    this.paramGroups.push({ ...merged, params } as ParamGroup<O>);
    // The optimizer holds its parameters across steps: no step scope may free them.
    for (const p of params) leaveStep(p);
  }

  /**
   * Clears the gradients of every parameter. With `setToNone` (the default, as in PyTorch 2)
   * each `.grad` is disposed and set to null; otherwise it is zeroed in place.
   */
  zeroGrad(setToNone = true): void {
    // Under torch.compile, a host step: every replay clears the gradients the previous one attached.
    traceHost('zeroGrad', () => this.zeroGradNow(setToNone));
  }

  private zeroGradNow(setToNone: boolean): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = p.grad;
        if (g === null) continue;
        if (setToNone) {
          g.dispose();
          p.grad = null;
        } else {
          noGrad(() => g.zero_());
        }
      }
    }
  }

  /**
   * One optimization step over every parameter that has a gradient (parameters whose `.grad`
   * is null are skipped), under `noGrad`. `closure`, if given, re-evaluates the model with
   * gradients enabled first and its result is returned (PyTorch's `step(closure)`).
   */
  step<T = void>(closure?: () => T): T | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    const name = `${this.constructor.name}.step()`;
    // Under torch.compile, an optimizer with a traced rule records its update as fused programs
    // whose step-dependent scalars a host step rewrites every replay (traced.ts); any other
    // update is a host step that every replay re-runs. Either way the step count, a scheduler's
    // learning rate and the step scope's boundary stay live.
    const rule = isTracing() ? tracedRuleOf(this) : null;
    if (rule === null || !tracedStep(this, name, this.paramGroups, rule)) traceHost(name, () => this.stepNow());
    return loss;
  }


  private stepNow(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const grad = p.grad;
          if (grad === null) continue;
          // A parameter may have changed dtype since the constructor checked it (model.half()
          // converts in place): refuse rather than update half-precision weights.
          if (p.dtype !== 'float32') throw notFloat32(this.constructor.name, p);
          if (!sameShape(grad.shape, p.shape)) {
            throw new RangeError(`optimizer step: the gradient of shape [${grad.shape.join(', ')}] does not match its parameter's shape [${p.shape.join(', ')}]`);
          }
          let state = this.state.get(p);
          if (!state) {
            state = {};
            this.state.set(p, state);
          }
          const s = state;
          tidy(() => this.updateParam(p, grad, group, s));
        }
      }
    });
    // A step boundary: frees what was created two steps ago and not kept (core's step-scope.ts),
    // so a loop written as in PyTorch, with no tidy or dispose, holds memory flat.
    stepBoundary(this, `${this.constructor.name}.step()`);
  }

  /**
   * The state in PyTorch's layout (see {@link OptimizerStateDict}). The tensors in it are the
   * optimizer's own (as in PyTorch): read or serialize them, do not dispose them.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> & { params: number[] } = { params: [] };
      for (const [k, v] of Object.entries(g)) if (k !== 'params') out[toSnake(k)] = copyOption(v);
      for (const p of g.params) {
        index.set(p, index.size);
        out.params.push(index.get(p)!);
      }
      return out;
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined && Object.keys(s).length > 0) state[i] = { ...s };
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * Loads a state dict from {@link stateDict} (or PyTorch's, converted to torchlet tensors):
   * group options are replaced by the saved ones, and the saved state tensors are copied, so
   * the caller keeps ownership of the tensors in `sd`. `step` may be a number or a one-element
   * tensor (PyTorch 1.13 saves a tensor; reading it needs a backend with synchronous reads).
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const saved = sd.param_groups;
    if (!Array.isArray(saved) || saved.length !== this.paramGroups.length) {
      throw new RangeError(`loaded state dict has ${Array.isArray(saved) ? saved.length : 'no'} parameter groups, the optimizer has ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    saved.forEach((g, gi) => {
      const mine = this.paramGroups[gi]!;
      if (!Array.isArray(g.params) || g.params.length !== mine.params.length) {
        throw new RangeError(`loaded state dict contains a parameter group (${gi}) that doesn't match the size of optimizer's group`);
      }
      g.params.forEach((id, j) => byIndex.set(id, mine.params[j]!));
    });
    // Check everything before changing anything.
    const entries = Object.entries(sd.state ?? {}).map(([id, s]) => {
      const p = byIndex.get(Number(id));
      if (!p) throw new RangeError(`loaded state dict has state for parameter ${id}, which no group lists`);
      for (const [k, v] of Object.entries(s)) {
        if (isTensor(v) && k !== 'step' && !sameShape(v.shape, p.shape)) {
          throw new RangeError(`loaded state '${k}' of parameter ${id} has shape [${v.shape.join(', ')}], the parameter has [${p.shape.join(', ')}]`);
        }
      }
      return [p, s] as const;
    });
    const options = saved.map((g) => {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params' && !PYTORCH_ONLY_KEYS.has(k)) o[toCamel(k)] = copyOption(v);
      this.validateOptions(o as Partial<O>);
      return o;
    });
    this.disposeState();
    for (const [p, s] of entries) {
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) {
        if (v === null || v === undefined) continue; // PyTorch's SGD stores momentum_buffer: None
        if (k === 'step') copy[k] = isTensor(v) ? Number(v.dataSync()[0]) : v;
        else copy[k] = isTensor(v) ? keep(noGrad(() => v.clone())) : v;
      }
      this.state.set(p, copy);
    }
    this.paramGroups.forEach((g, gi) => Object.assign(g, options[gi]));
  }

  /** Frees the state tensors; the optimizer starts afresh if stepped again. */
  dispose(): void {
    this.disposeState();
  }

  /** Calls `dispose()`, so `using opt = new Adam(...)` frees the state at the end of the scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  private disposeState(): void {
    disposeScalars(this);
    for (const s of this.state.values()) for (const v of Object.values(s)) if (isTensor(v)) v.dispose();
    this.state.clear();
  }
}

/**
 * The error for a parameter that is not float32. Optimizers update float32 parameters only:
 * float16 and bfloat16 are storage dtypes here (they compute in float32), and an update applied
 * to half-precision weights loses most small steps to rounding. PyTorch's own practice for mixed
 * precision is float32 master weights; torchlet has no autocast, so training stays float32 and
 * `model.half()` is for inference.
 */
function notFloat32(who: string, p: Tensor): TypeError {
  const half = p.dtype === 'float16' || p.dtype === 'bfloat16';
  return new TypeError(
    `${who} can only optimize float32 tensors, but a parameter of shape [${p.shape.join(', ')}] is ${p.dtype}` +
      (half ? ': optimizers update float32 parameters only; train in float32 (model.float()) and keep model.half() for inference' : ''),
  );
}

function checkParam(p: unknown): asserts p is Tensor {
  if (!isTensor(p)) throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${p === null ? 'null' : typeof p}`);
  if (p.isDisposed) throw new Error('optimizer got a disposed Tensor as a parameter');
  if (p.dtype !== 'float32') throw notFloat32('optimizer', p);
  if (!p.isLeaf) throw new RangeError("can't optimize a non-leaf Tensor");
  if (!p.requiresGrad) {
    throw new RangeError('optimizer got a parameter that does not require grad; create it with { requiresGrad: true } or call requiresGrad_()');
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws a RangeError unless `value >= 0` (PyTorch's "Invalid ... value" checks). */
export function checkNonNegative(name: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0)) throw new RangeError(`Invalid ${name} value: ${value}`);
}

/** The learning-rate check every optimizer shares. */
export function checkLr(lr: number | undefined): void {
  if (lr !== undefined && typeof lr !== 'number') throw new TypeError(`lr must be a number, got ${typeof lr} (${String(lr)})`);
  if (lr !== undefined && !(lr >= 0)) throw new RangeError(`Invalid learning rate: ${lr}`);
}
