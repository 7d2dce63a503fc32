/** PyTorch-style printing of tensor values (torch/_tensor_str.py: precision 4, threshold 1000, edgeitems 3, linewidth 80). */
import type { DType, TypedArray } from './dtype.ts';
import type { Shape } from './shape.ts';

const THRESHOLD = 1000;
const EDGE = 3;
const LINEWIDTH = 80;
const PRECISION = 4;

/** Chooses one number format for all elements, as PyTorch's `_Formatter` does. */
function makeFormatter(values: ArrayLike<number>, dtype: DType): (v: number) => string {
  if (dtype === 'bool') return (v) => (v ? 'True' : 'False');
  if (dtype === 'int32') return (v) => String(v);
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && v !== 0) finite.push(Math.abs(v));
  }
  const special = (v: number): string | null => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : null);
  if (finite.length === 0) return (v) => special(v) ?? (Object.is(v, -0) ? '-0.' : '0.');
  const max = Math.max(...finite), min = Math.min(...finite);
  const intMode = finite.every((v) => Number.isInteger(v));
  // PyTorch 1.13's _Formatter: integral floats also switch to scientific past a ratio of 1000.
  const sci = intMode ? max / min > 1000 || max > 1e8 : max / min > 1000 || max > 1e8 || min < 1e-4;
  if (sci) {
    return (v) => special(v) ?? v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2');
  }
  if (intMode) return (v) => special(v) ?? `${v.toFixed(0)}.`;
  return (v) => special(v) ?? v.toFixed(PRECISION);
}

/**
 * Formats values (contiguous, row-major) as PyTorch prints a tensor; `extras` (`requires_grad=True`,
 * `grad_fn=<MulBackward>`, `dtype=torch.float16`) follow the values, as in PyTorch.
 */
export function formatTensor(data: TypedArray, shape: Shape, dtype: DType, extras: readonly string[] = []): string {
  const n = data.length;
  const tail = extras.map((e) => `, ${e}`).join('');
  if (n === 0) return shape.length === 1 ? `tensor([]${tail})` : `tensor([], size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})${tail})`;
  const summarize = n > THRESHOLD;
  // The formatter sees only the elements that will be shown.
  const shown: number[] = [];
  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const indicesOf = (size: number): number[] =>
    summarize && size > 2 * EDGE ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => size - EDGE + i)] : [...Array(size).keys()];
  const collect = (dim: number, base: number): void => {
    if (dim === shape.length) {
      shown.push(data[base]!);
      return;
    }
    for (const i of indicesOf(shape[dim]!)) if (i >= 0) collect(dim + 1, base + i * strides[dim]!);
  };
  collect(0, 0);
  const fmt = makeFormatter(shown, dtype);
  const width = Math.max(...shown.map((v) => fmt(v).length));
  const pad = (v: number): string => fmt(v).padStart(width);

  const render = (dim: number, base: number, indent: number): string => {
    if (dim === shape.length) return pad(data[base]!);
    const idx = indicesOf(shape[dim]!);
    if (dim === shape.length - 1) {
      // PyTorch writes the gap in a row as ' ...' whatever the element width (torch/_tensor_str.py).
      const items = idx.map((i) => (i < 0 ? ' ...' : pad(data[base + i * strides[dim]!]!)));
      // Wrap long rows at the line width, as PyTorch does.
      const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
      return `[${lines.join(',\n' + ' '.repeat(indent + 1))}]`;
    }
    const sep = ',' + '\n'.repeat(shape.length - dim - 1) + ' '.repeat(indent + 1);
    const parts = idx.map((i) => (i < 0 ? '...' : render(dim + 1, base + i * strides[dim]!, indent + 1)));
    return `[${parts.join(sep)}]`;
  };
  return `tensor(${render(0, 0, 7)}${tail})`;
}
