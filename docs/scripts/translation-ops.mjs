// The "Everyday ops" rows of the PyTorch translation table (issue 12's sorting, scans, einsum,
// norms, scatter, selection, arrangement and indexing ops): PyTorch call -> torchlet call.
// Rendered by translation-table.mjs.
export const EVERYDAY_OPS = [
  ['values, indices = torch.sort(x, dim=1, descending=True)', 'const [values, indices] = torch.sort(x, 1, true)  // or x.sort({ dim: 1, descending: true }); always stable'],
  ['torch.argsort(x, dim=-1), torch.msort(x)', 'torch.argsort(x, -1), torch.msort(x)'],
  ['values, indices = x.topk(5, dim=1, largest=False)', 'const [values, indices] = x.topk(5, { dim: 1, largest: false })'],
  ['values, indices = torch.kthvalue(x, 2, dim=0, keepdim=True)', 'const [values, indices] = torch.kthvalue(x, 2, 0, true)'],
  ['torch.cumsum(x, dim=0), x.cumprod(1)', 'torch.cumsum(x, 0), x.cumprod(1)'],
  ['torch.logcumsumexp(x, dim=1)', 'torch.logcumsumexp(x, 1)'],
  ['torch.norm(x), x.norm(p=1, dim=-1, keepdim=True)', 'torch.norm(x), x.norm(1, -1, true)  // or x.norm({ p: 1, dim: -1, keepdim: true })'],
  ['torch.linalg.vector_norm(x, ord=float("inf"), dim=(0, 1))', 'torch.linalg.vectorNorm(x, { ord: Infinity, dim: [0, 1] })'],
  ['torch.linalg.matrix_norm(a, ord=1)', "torch.linalg.matrixNorm(a, 1)  // 'fro', ±1, ±Infinity; 2, -2, 'nuc' throw (no SVD)"],
  ['torch.isclose(a, b, rtol=1e-4, equal_nan=True)', 'torch.isclose(a, b, { rtol: 1e-4, equalNan: true })'],
  ['torch.allclose(a, b), torch.equal(a, b)', 'torch.allclose(a, b), torch.equal(a, b)  // booleans (wasm); on WebGPU await torch.allcloseAsync(a, b), torch.equalAsync(a, b)'],
];
