/**
 * SGD's and Adam's/AdamW's updates as fused programs for a traced step (traced.ts). Each program
 * is the wasm kernel's formula (backend-wasm/assembly/optim.ts `sgdStep`, `adamStep`) instruction
 * for instruction, and each scalar is computed as the kernel's caller computes it (float64, then
 * float32 once), so compiled and eager steps agree bit for bit on wasm.
 */
import type { Tensor } from '@torchlet/core';
import type { AdamOptions } from './adam.ts';
import type { ParamGroup, ParamState } from './optimizer.ts';
import type { SGDOptions } from './sgd.ts';
import { ProgramBuilder, programCache, type TracedParam, type TracedRule } from './traced.ts';

/** What a rule reads from its optimizer. */
interface Source<G> {
  readonly paramGroups: readonly ParamGroup<G>[];
  readonly state: ReadonlyMap<Tensor, ParamState>;
}

const bit = (b: boolean): string => (b ? '1' : '0');

/** SGD's options a rule reads: a param group's, defaults filled in. */
type SgdGroup = Required<SGDOptions>;

/** Scalars of one SGD parameter: weight decay, momentum, 1 - dampening, -lr. */
const SGD_SLOTS = 4;

const sgdProgram = /* @__PURE__ */ programCache((key) => {
  const [maximize, decay, momentum, nesterov] = [...key.slice(4)].map((c) => c === '1');
  const nState = momentum ? 1 : 0;
  const b = new ProgramBuilder(2 + nState + SGD_SLOTS);
  const P = 0, G = 1, BUF = 2, S = 2 + nState;
  const [WD, MOM, OMD, NEG_LR] = [S, S + 1, S + 2, S + 3];
  let d = maximize ? b.bin('mul', G, b.constant(-1)) : G;
  if (decay) d = b.bin('add', d, b.bin('mul', WD, P));
  const outputs: number[] = [];
  if (momentum) {
    const buf = b.bin('add', b.bin('mul', BUF, MOM), b.bin('mul', d, OMD));
    outputs.push(buf);
    d = nesterov ? b.bin('add', d, b.bin('mul', buf, MOM)) : buf;
  }
  return b.build([b.bin('add', P, b.bin('mul', NEG_LR, d)), ...outputs]);
});

/**
 * The traced form of SGD's update: untraceable (a host step) before the momentum buffer exists,
 * whose first step copies the gradient instead.
 */
export function sgdRule(opt: Source<SgdGroup>): TracedRule {
  return {
    slots: SGD_SLOTS,
    prepare(param, gi): TracedParam | null {
      const g = opt.paramGroups[gi]!;
      const state: Tensor[] = [];
      if (g.momentum !== 0) {
        const buf = opt.state.get(param)?.momentum_buffer;
        if (buf === undefined || typeof buf === 'number') return null;
        state.push(buf);
      }
      return { state, key: `sgd:${bit(g.maximize)}${bit(g.weightDecay !== 0)}${bit(g.momentum !== 0)}${bit(g.nesterov)}` };
    },
    scalars(_param, gi, out, at) {
      const g = opt.paramGroups[gi]!;
      out[at] = g.weightDecay;
      out[at + 1] = g.momentum;
      out[at + 2] = 1 - g.dampening;
      out[at + 3] = -g.lr;
    },
    program: sgdProgram,
  };
}

/** Adam's and AdamW's options a rule reads: a param group's, defaults filled in. */
type AdamGroup = Required<AdamOptions>;

/** Scalars of one Adam parameter: beta1, 1 - beta1, beta2, 1 - beta2, eps, sqrt(bias correction 2), -step size, decay or L2. */
const ADAM_SLOTS = 8;

const adamProgram = /* @__PURE__ */ programCache((key) => {
  const [decoupled, amsgrad, maximize, decay] = [...key.slice(5)].map((c) => c === '1');
  const nState = amsgrad ? 3 : 2;
  const b = new ProgramBuilder(2 + nState + ADAM_SLOTS);
  const P = 0, G = 1, M = 2, V = 3, VMAX = 4, S = 2 + nState;
  const [B1, OMB1, B2, OMB2, EPS, BC2, NEG_STEP, WD] = Array.from({ length: ADAM_SLOTS }, (_, i) => S + i) as [number, number, number, number, number, number, number, number];
  let g = maximize ? b.bin('mul', G, b.constant(-1)) : G;
  let p = P;
  if (decay && decoupled) p = b.bin('mul', P, WD);
  else if (decay) g = b.bin('add', g, b.bin('mul', WD, P));
  const m = b.bin('add', b.bin('mul', M, B1), b.bin('mul', g, OMB1));
  const v = b.bin('add', b.bin('mul', V, B2), b.bin('mul', b.bin('mul', g, g), OMB2));
  const second = amsgrad ? b.bin('maximum', VMAX, v) : v;
  const denom = b.bin('add', b.bin('div', b.sqrt(second), BC2), EPS);
  const out = b.bin('add', p, b.bin('mul', NEG_STEP, b.bin('div', m, denom)));
  return b.build(amsgrad ? [out, m, v, second] : [out, m, v]);
});

/**
 * The traced form of Adam's (`decoupled`: AdamW's) update: untraceable (a host step) before the
 * parameter's state exists. `scalars` advances the step count, as an eager step does.
 */
export function adamRule(opt: Source<AdamGroup>, decoupled: boolean): TracedRule {
  return {
    slots: ADAM_SLOTS,
    prepare(param, gi): TracedParam | null {
      const g = opt.paramGroups[gi]!;
      const s = opt.state.get(param);
      if (!s || typeof s.step !== 'number') return null;
      const state = [s.exp_avg, s.exp_avg_sq, ...(g.amsgrad ? [s.max_exp_avg_sq] : [])];
      if (!state.every((t): t is Tensor => t !== undefined && typeof t !== 'number')) return null;
      return { state, key: `adam:${bit(decoupled)}${bit(g.amsgrad)}${bit(g.maximize)}${bit(g.weightDecay !== 0)}` };
    },
    scalars(param, gi, out, at) {
      const g = opt.paramGroups[gi]!;
      const s = opt.state.get(param)!;
      const step = (s.step as number) + 1;
      s.step = step;
      const [beta1, beta2] = g.betas;
      // Bias corrections in float64, as PyTorch computes them (Python floats) and the kernel's caller does.
      out[at] = beta1;
      out[at + 1] = 1 - beta1;
      out[at + 2] = beta2;
      out[at + 3] = 1 - beta2;
      out[at + 4] = g.eps;
      out[at + 5] = Math.sqrt(1 - beta2 ** step);
      out[at + 6] = -(g.lr / (1 - beta1 ** step));
      out[at + 7] = decoupled ? 1 - g.lr * g.weightDecay : g.weightDecay;
    },
    program: adamProgram,
  };
}
