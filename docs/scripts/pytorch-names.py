#!/usr/bin/env python3
"""Writes docs/scripts/pytorch-names.json: the public names of PyTorch's namespaces that the
translation table maps to (torch, torch.Tensor, torch.nn, torch.nn.functional, torch.linalg, torch.nn.init,
torch.nn.utils), so translation-table.mjs can tell which torchlet exports have a PyTorch twin
without needing Python. Run with the PyTorch the conformance cases come from (1.13.1):
    /usr/bin/python3 docs/scripts/pytorch-names.py
"""
import json, os, torch

def public(obj):
    return sorted(n for n in dir(obj) if not n.startswith('__'))

names = {
    'version': torch.__version__,
    'torch': public(torch),
    'Tensor': public(torch.Tensor),
    'functional': public(torch.nn.functional),
    'linalg': public(torch.linalg),
    'nn': public(torch.nn),
    'init': public(torch.nn.init),
    'utils': public(torch.nn.utils),
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pytorch-names.json')
with open(out, 'w') as f:
    json.dump(names, f, separators=(',', ':'))
    f.write('\n')
print(f'wrote {out}: ' + ', '.join(f'{k} {len(v)}' for k, v in names.items() if k != 'version'))
