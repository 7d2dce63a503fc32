#!/usr/bin/python3
"""Writes packages/conformance/cases/ops_new.json (the conformance family `ops_new`, run by every
runtime's suite): PyTorch 1.13 cases, in ../shared/conformance's format, for ops that the shared
case files do not cover (msort, int cumsum, indexing with at()/indexPut, scatter_add/scatter_add_).

    /usr/bin/python3 scripts/gen_newops_cases.py

Inputs are short decimals so float32 round-trips; outputs are computed in float64 and rounded
once to float32, as the shared cases are.
"""
import json, math, os
import numpy as np
import torch

torch.manual_seed(12)
CASES = []


def enc(t):
    if t.dtype == torch.bool:
        return 'bool', [int(v) for v in t.flatten().tolist()]
    if t.dtype in (torch.int32, torch.int64):
        return 'int32', [int(v) for v in t.flatten().tolist()]
    out = []
    for v in t.to(torch.float32).flatten().tolist():
        if math.isnan(v): out.append('NaN')
        elif math.isinf(v): out.append('Infinity' if v > 0 else '-Infinity')
        else: out.append(float(str(np.float32(v))))  # shortest decimal of the float32
    return 'float32', out


def tj(t, name=None):
    dtype, data = enc(t)
    d = {'dtype': dtype, 'shape': list(t.shape), 'data': data}
    if name is not None:
        d = {'name': name, **d}
    return d


def rnd(*shape):
    return (torch.randint(-300, 300, shape).double() / 100)


def case(id, fn, kwargs, inputs, f, grad=True, tol=(1e-5, 1e-6)):
    """inputs: list of (name, tensor); f(dict of float64/int tensors) -> tensor or list."""
    args = {}
    for name, t in inputs:
        t = t.clone()
        if t.is_floating_point():
            t = t.double().requires_grad_(grad)
        args[name] = t
    outs = f(args)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    c = {'id': id, 'fn': fn, 'kwargs': kwargs, 'inputs': [tj(t.detach(), n) for n, t in args.items()],
         'outputs': [tj(o.detach()) for o in outs], 'tol': {'rtol': tol[0], 'atol': tol[1]}, 'ref': 'float64'}
    diff = {n: t for n, t in args.items() if t.is_floating_point()}
    if grad and diff:
        ups = [rnd(*o.shape) if o.is_floating_point() else None for o in outs]
        total = sum((o * u).sum() for o, u in zip(outs, ups) if u is not None)
        gs = torch.autograd.grad(total, list(diff.values()), allow_unused=True)
        c['grads'] = {'upstream': [tj(u) if u is not None else None for u in ups],
                      'inputs': {n: tj(g if g is not None else torch.zeros_like(diff[n])) for n, g in zip(diff, gs)}}
    CASES.append(c)


# sorting and scans beyond ops_extra
case('msort/4x3', 'msort', {}, [('input', rnd(4, 3))], lambda a: torch.msort(a['input']))
case('cumsum/int32/2x4-dim1', 'cumsum', {'dim': 1}, [('input', torch.randint(-5, 5, (2, 4), dtype=torch.int32))], lambda a: torch.cumsum(a['input'], 1).int())

# indexing: kwargs.index lists the entries (strings, ints, null; {"input": name} for a tensor)
def pyindex(entries):
    parts = []
    for e in entries:
        if isinstance(e, dict): parts.append("a['%s']" % e['input'])
        elif e is None: parts.append('None')
        else: parts.append(str(e))
    return ', '.join(parts)


def idx_t(*vals):
    return torch.tensor(vals, dtype=torch.int64)


def at_case(id, shape, entries, extra=(), grad=True):
    case('at/' + id, 'at', {'index': entries}, [('input', rnd(*shape))] + list(extra),
         lambda a: eval('a["input"][' + pyindex(entries) + ']'), grad=grad)


at_case('slice-cols/3x4', (3, 4), [':, 1:3'])
at_case('ellipsis-last/2x3x4', (2, 3, 4), ['..., -1'])
at_case('int-none-step/3x4', (3, 4), [0, None, '::2'])
at_case('int-tensor-repeated/4x3', (4, 3), [{'input': 'idx'}], [('idx', idx_t(2, 0, 2, -1))])
at_case('cols-2d-tensor/3x4', (3, 4), [':', {'input': 'idx'}], [('idx', torch.tensor([[0, 1], [3, 3]]))])
at_case('non-adjacent/2x3x4', (2, 3, 4), [{'input': 'i'}, ':', {'input': 'j'}], [('i', idx_t(1, 0)), ('j', idx_t(3, 2))])
at_case('adjacent-middle/2x3x4', (2, 3, 4), [':', {'input': 'i'}, {'input': 'j'}], [('i', idx_t(2, 0, 1)), ('j', idx_t(1, 1, 3))])
at_case('bool-mask/3x4', (3, 4), [{'input': 'mask'}], [('mask', torch.rand(3, 4) > 0.5)])
at_case('bool-rows-then-slice/4x3', (4, 3), [{'input': 'mask'}, '1:'], [('mask', torch.tensor([True, False, True, True]))])
at_case('int-then-tensor/2x3x4', (2, 3, 4), [1, ':', {'input': 'idx'}], [('idx', idx_t(0, 3))])


def put_case(id, shape, entries, values, accumulate, extra=()):
    ins = [('input', rnd(*shape))] + list(extra)
    kw = {'index': entries, 'accumulate': accumulate}
    if isinstance(values, torch.Tensor): ins.append(('values', values))
    else: kw['value'] = values

    def f(a):
        v = a['values'] if 'values' in a else torch.tensor(values, dtype=torch.float64)
        if all(isinstance(e, dict) for e in entries):
            return a['input'].index_put(tuple(a[e['input']] for e in entries), v, accumulate=accumulate)
        y = a['input'].clone()
        exec('y[' + pyindex(entries) + '] = v', {'y': y, 'a': a, 'v': v})
        return y
    case('indexPut/' + id, 'indexPut', kw, ins, f)


put_case('mask-value/3x4', (3, 4), [{'input': 'mask'}], 0.5, False, [('mask', torch.rand(3, 4) > 0.5)])
put_case('accumulate-repeated/4x3', (4, 3), [{'input': 'idx'}], rnd(3, 3), True, [('idx', idx_t(1, 3, 1))])
put_case('slice-tensor-values/3x4', (3, 4), [':, 1:3'], rnd(3, 2), False)
put_case('rows-broadcast-values/4x3', (4, 3), [{'input': 'idx'}], rnd(3), False, [('idx', idx_t(0, 2))])

# scatter_add, functional and in place; repeated indices accumulate. The in-place case is forward
# only: torchlet refuses in-place writes into a tensor of an autograd graph (a clear error, tested
# in core), where PyTorch records them.
def scatter_add_case(id, shape, dim, index, src_shape, inplace):
    def f(a):
        if inplace:
            return a['input'].clone().scatter_add_(dim, a['index'], a['src'])
        return torch.scatter_add(a['input'], dim, a['index'], a['src'])
    fn = 'scatterAdd_' if inplace else 'scatterAdd'
    case(fn + '/' + id, fn, {'dim': dim}, [('input', rnd(*shape)), ('index', index), ('src', rnd(*src_shape))], f, grad=not inplace)


scatter_add_case('dim0-repeated/4x3', (4, 3), 0, torch.tensor([[0, 1, 2], [0, 3, 2], [3, 1, 0]]), (3, 3), False)
scatter_add_case('dim1-smaller-index/3x5', (3, 5), 1, torch.tensor([[4, 0], [1, 1], [2, 4]]), (3, 2), False)
scatter_add_case('neg-dim-3d/2x3x4', (2, 3, 4), -1, torch.tensor([[[3, 3, 0]], [[1, 2, 1]]]), (2, 1, 3), False)
scatter_add_case('dim0-repeated/4x3', (4, 3), 0, torch.tensor([[1, 1, 0], [2, 1, 3]]), (2, 3), True)

HERE = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(HERE, '..', 'packages', 'conformance', 'cases', 'ops_new.json')
with open(out, 'w') as fh:
    fh.write('{"generator":"torch %s","torchVersion":"%s","variant":"visible","seed":12,"formatVersion":1,"family":"ops_new",\n"cases":[\n' % (torch.__version__, torch.__version__))
    fh.write(',\n'.join(json.dumps(c, separators=(',', ':')) for c in CASES))
    fh.write('\n]}\n')
print(f'{len(CASES)} cases -> {os.path.normpath(out)}')
