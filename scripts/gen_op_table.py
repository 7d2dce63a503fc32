#!/usr/bin/env python3
"""PyTorch's values of every element-wise primitive of core's op table on NaN, infinities, signed
zeros and other edge values, for packages/conformance/test/fixtures/op_table_special.json.

The op names are read from packages/core/src/op-table.ts, so the fixture follows the table: a new
op is picked up by re-running this script (the test fails until then, naming the op).
Usage: /usr/bin/python3 scripts/gen_op_table.py   (PyTorch 1.13.1, CPU, float32)
"""
import json
import math
import os
import re

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(ROOT, 'packages', 'core', 'src', 'op-table.ts')
OUT = os.path.join(ROOT, 'packages', 'conformance', 'test', 'fixtures', 'op_table_special.json')


def table_ops(name):
    src = open(TABLE).read()
    body = src[src.index('export const %s = {' % name):]
    body = body[:body.index('} as const')]
    return re.findall(r'^  (\w+): ', body, re.M)


def int_ops():
    # Binary ops whose kernel takes int32 ('arith' kind), but pow: PyTorch refuses negative integer powers.
    src = open(TABLE).read()
    body = src[src.index('export const BINARY_TABLE = {'):]
    body = body[:body.index('} as const')]
    return [op for op, kind in re.findall(r"^  (\w+): \{\s*kind: '(\w+)'", body, re.M) if kind == 'arith' and op != 'pow']


def snake(op):
    return re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', op).lower()


# torchlet's primitive name -> PyTorch's function where snake_case does not give it.
SPECIAL = {
    'truncDivide': lambda a, b: torch.div(a, b, rounding_mode='trunc'),
}

X = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1e-30, 3.0, 100.0, -100.0]
# int32 operands: wrap-around at the extremes; no 0 or -1 divisor (PyTorch raises or traps there;
# torchlet's choice for 0, a result of 0, is tested on its own).
IA = [7, -7, 3, -3, 0, 1, 2147483647, -2147483648]
IB = [2, -2, 3, -3, 1, 7, -7]
V = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 2.5, -2.5]


def enc(v):
    v = float(v)
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    return v


def main():
    out = {'generator': 'scripts/gen_op_table.py', 'torch': torch.__version__, 'unary': {}, 'binary': {}}
    x = torch.tensor(X, dtype=torch.float32)
    for op in table_ops('UNARY_TABLE'):
        if op == 'logicalNot':
            continue  # bool only: no special float values
        f = SPECIAL.get(op) or getattr(torch, snake(op))
        out['unary'][op] = {'x': [enc(v) for v in X], 'y': [enc(v) for v in f(x).float().tolist()]}
    a = torch.tensor([p for p in V for _ in V], dtype=torch.float32)
    b = torch.tensor([q for _ in V for q in V], dtype=torch.float32)
    for op in table_ops('BINARY_TABLE'):
        if op.startswith('logical'):
            continue  # bool only
        f = SPECIAL.get(op) or getattr(torch, snake(op))
        y = f(a, b)
        out['binary'][op] = {
            'a': [enc(v) for v in a.tolist()], 'b': [enc(v) for v in b.tolist()],
            'y': [enc(v) for v in y.float().tolist()], 'bool': y.dtype == torch.bool,
        }
    out['int32'] = {}
    ia = torch.tensor([p for p in IA for _ in IB], dtype=torch.int32)
    ib = torch.tensor([q for _ in IA for q in IB], dtype=torch.int32)
    for op in int_ops():
        f = SPECIAL.get(op) or getattr(torch, snake(op))
        y = f(ia, ib)
        assert y.dtype == torch.int32, (op, y.dtype)
        out['int32'][op] = {'a': ia.tolist(), 'b': ib.tolist(), 'y': y.tolist()}
    with open(OUT, 'w') as fh:
        json.dump(out, fh, separators=(',', ':'))
        fh.write('\n')
    print('wrote %s: %d unary, %d binary, %d int32 ops' % (OUT, len(out['unary']), len(out['binary']), len(out['int32'])))


if __name__ == '__main__':
    main()
