#!/usr/bin/python3
"""Writes packages/conformance/test/fixtures/newops_cases.json: PyTorch 1.13 cases, in
../shared/conformance's format, for the ops of issue 12 that ops_extra.json does not cover
(msort, int cumsum, narrowCopy, .T/.mT, unflatten, indexing with at()/indexPut, ...).

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

HERE = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(HERE, '..', 'packages', 'conformance', 'test', 'fixtures', 'newops_cases.json')
with open(out, 'w') as fh:
    fh.write('{"generator":"torch %s","torchVersion":"%s","variant":"visible","seed":12,"formatVersion":1,"family":"newops",\n"cases":[\n' % (torch.__version__, torch.__version__))
    fh.write(',\n'.join(json.dumps(c, separators=(',', ':')) for c in CASES))
    fh.write('\n]}\n')
print(f'{len(CASES)} cases -> {os.path.normpath(out)}')
