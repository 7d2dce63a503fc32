#!/usr/bin/python3
"""Writes packages/conformance/test/fixtures/padding_mask_cases.json: PyTorch 1.13 module cases,
in ../shared/conformance's format (family "modules"), for Transformer layers with key-padding
masks. Issue 13 found NaN parameter gradients on WebGPU only, in held-out cases like these
(pre- and post-norm, bool and float masks, odd sizes), that ../shared/conformance did not catch;
these rebuild them so both backends run them (test/padding-mask.test.ts, webgpu/padding-mask.test.ts).

    /usr/bin/python3 scripts/gen_padding_mask_cases.py

Weights and inputs are short decimals so float32 round-trips; outputs and gradients are computed
in float64 and rounded once to float32, and each case is checked against PyTorch's own float32
run within a quarter of its tolerance, as the shared cases are. Key padding is on the right and
never covers key 0, so no row is fully masked (PyTorch gives NaN there too).

No case pairs a float key-padding mask with a float attention mask: PyTorch 1.13 merges them with
attn_mask.masked_fill(key_padding_mask, -inf), which reads the float mask's -inf as false and so
ignores the padding; torchlet adds the two masks, as PyTorch 2 does.
"""
import json, math, os, re, zlib
import numpy as np
import torch
from torch import nn

torch.manual_seed(13)
CASES = []
TOL = {'rtol': 1e-4, 'atol': 1e-5}
# d = 40: gradients sum over more terms (float32's own error reaches 5.5e-5 on gradients of size ~50), so atol is wider.
TOL_WIDE = {'rtol': 1e-4, 'atol': 3e-4}


def enc(t):
    if t.dtype == torch.bool:
        return 'bool', [int(v) for v in t.flatten().tolist()]
    out = []
    for v in t.to(torch.float32).flatten().tolist():
        if math.isnan(v): out.append('NaN')
        elif math.isinf(v): out.append('Infinity' if v > 0 else '-Infinity')
        else: out.append(float(str(np.float32(v))))  # shortest decimal of the float32
    return 'float32', out


def tj(t, name=None):
    dtype, data = enc(t)
    d = {'dtype': dtype, 'shape': list(t.shape), 'data': data}
    return {'name': name, **d} if name is not None else d


def rnd(*shape, scale=100):
    """Short decimals in [-3, 3) (scale 100) or [-0.3, 0.3) (scale 1000, for weights)."""
    return torch.randint(-300, 300, shape).double() / scale


def kpm(n, s, lengths, dtype):
    """Right padding: batch row b keeps its first lengths[b] keys."""
    m = torch.zeros(n, s, dtype=torch.bool)
    for b, length in enumerate(lengths):
        m[b, length:] = True
    if dtype == 'float':
        return torch.zeros(n, s, dtype=torch.float64).masked_fill(m, float('-inf'))
    return m


def causal(n, dtype):
    m = torch.triu(torch.ones(n, n, dtype=torch.bool), 1)
    return torch.zeros(n, n, dtype=torch.float64).masked_fill(m, float('-inf')) if dtype == 'float' else m


def snake(name):
    return re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), name)


def run(module, inputs, dtype):
    """The forward pass in `dtype`, arguments by PyTorch's names; float inputs that are not masks require grad."""
    m = module.to(dtype)
    args = {}
    for name, t in inputs:
        if t.is_floating_point():
            t = t.to(dtype).detach()
            if not name.endswith('Mask'):
                t.requires_grad_(True)
        args[name] = t
    m.zero_grad()
    out = m(**{snake(n): t for n, t in args.items()})
    return out, args


def add_case(id, fn, kwargs, make, inputs, tol=TOL):
    """make(): the float64 module with deterministic short-decimal weights; inputs: (name, tensor) in forward order."""
    torch.manual_seed(zlib.crc32(id.encode()))
    module = make().double().train()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(rnd(*p.shape, scale=1000))
        for name, p in module.named_parameters():
            if name.endswith('norm1.weight') or name.endswith('norm2.weight') or name.endswith('norm3.weight') or name == 'norm.weight':
                p.copy_(1 + rnd(*p.shape, scale=1000) / 5)
    state = {k: v.clone() for k, v in module.state_dict().items()}
    out64, args64 = run(module, inputs, torch.float64)
    up = rnd(*out64.shape)
    (out64 * up).sum().backward()
    grads_in = {n: t.grad for n, t in args64.items() if t.requires_grad}
    grads_p = {k: p.grad.clone() for k, p in module.named_parameters()}

    # PyTorch's own float32 run must agree within a quarter of the tolerance.
    m32 = make().train()
    m32.load_state_dict({k: v.float() for k, v in state.items()})
    out32, args32 = run(m32, inputs, torch.float32)
    (out32 * up.float()).sum().backward()
    def close(a, b, what):
        a, b = a.double(), b.double()
        bad = (a - b).abs() > (tol['atol'] + tol['rtol'] * b.abs()) / 4
        assert not bad.any() and torch.isfinite(a).all(), f'{id}: float32 {what} off by {(a - b).abs().max().item()}'
    close(out32.detach(), out64.detach().float(), 'output')
    for n, g in grads_in.items(): close(args32[n].grad, g.float(), f'grad {n}')
    for k, p in m32.named_parameters(): close(p.grad, grads_p[k].float(), f'grad {k}')

    CASES.append({
        'id': id, 'fn': fn, 'kwargs': kwargs, 'training': True,
        'state': {k: tj(v) for k, v in state.items()},
        'inputs': [tj(t, n) for n, t in inputs],
        'outputs': [tj(out64.detach())],
        'grads': {'upstream': [tj(up)], 'inputs': {n: tj(g) for n, g in grads_in.items()}, 'params': {k: tj(g) for k, g in grads_p.items()}},
        'tol': tol, 'ref': 'float64', **({'note': 'd = 40: atol 3e-4 (float32 gradients sum over more terms)'} if tol is TOL_WIDE else {}),
    })


def enc_layer_kwargs(d, h, ff, act, batch_first, norm_first):
    return {'dModel': d, 'nhead': h, 'dimFeedforward': ff, 'dropout': 0.0, 'activation': act, 'layerNormEps': 1e-5,
            'batchFirst': batch_first, 'normFirst': norm_first}


def enc_layer(d, h, ff, act, batch_first, norm_first):
    return lambda: nn.TransformerEncoderLayer(d, h, ff, 0.0, act, 1e-5, batch_first, norm_first)


def dec_layer(d, h, ff, act, batch_first, norm_first):
    return lambda: nn.TransformerDecoderLayer(d, h, ff, 0.0, act, 1e-5, batch_first, norm_first)


def seq(n, l, d, batch_first):
    return rnd(n, l, d) if batch_first else rnd(l, n, d)


# TransformerEncoderLayer: src, srcMask, srcKeyPaddingMask
for (norm_first, act, mask_dtype, batch_first, d, h, ff, L, N, lengths, with_causal) in [
    (False, 'relu', 'bool', True, 12, 3, 20, 7, 3, [7, 4, 2], None),
    (True, 'gelu', 'float', True, 12, 3, 20, 7, 3, [5, 7, 1], None),
    (True, 'relu', 'bool', False, 12, 2, 20, 7, 2, [3, 6], 'float'),
    (False, 'gelu', 'float', True, 40, 4, 40, 9, 2, [9, 5], 'bool'),
]:
    name = f"{'prenorm' if norm_first else 'postnorm'}-{act}-{mask_dtype}-keyPadding{'-' + with_causal + '-causal' if with_causal else ''}{'' if batch_first else '-seqFirst'}"
    ins = [('src', seq(N, L, d, batch_first))]
    if with_causal: ins.append(('srcMask', causal(L, with_causal)))
    ins.append(('srcKeyPaddingMask', kpm(N, L, lengths, mask_dtype)))
    add_case(f'TransformerEncoderLayer/{name}/d{d}-h{h}-ff{ff}-L{L}-N{N}', 'TransformerEncoderLayer',
             enc_layer_kwargs(d, h, ff, act, batch_first, norm_first),
             enc_layer(d, h, ff, act, batch_first, norm_first), ins, TOL_WIDE if d >= 40 else TOL)

# TransformerEncoder: src, mask, srcKeyPaddingMask
for (norm_first, act, mask_dtype, final_norm, d, h, ff, L, N, lengths, with_causal) in [
    (False, 'relu', 'bool', True, 12, 3, 20, 7, 3, [7, 3, 5], None),
    (True, 'gelu', 'float', False, 12, 2, 24, 6, 2, [4, 6], 'bool'),
]:
    def make(d=d, h=h, ff=ff, act=act, norm_first=norm_first, final_norm=final_norm):
        return nn.TransformerEncoder(nn.TransformerEncoderLayer(d, h, ff, 0.0, act, 1e-5, True, norm_first), 2,
                                     nn.LayerNorm(d, 1e-5) if final_norm else None, enable_nested_tensor=False)
    ins = [('src', rnd(N, L, d))]
    if with_causal: ins.append(('mask', causal(L, with_causal)))
    ins.append(('srcKeyPaddingMask', kpm(N, L, lengths, mask_dtype)))
    name = f"2layers-{'prenorm' if norm_first else 'postnorm'}-{act}-{mask_dtype}-keyPadding{'-finalNorm' if final_norm else ''}{'-causal' if with_causal else ''}"
    add_case(f'TransformerEncoder/{name}/d{d}-h{h}-L{L}-N{N}', 'TransformerEncoder',
             {'encoderLayer': enc_layer_kwargs(d, h, ff, act, True, norm_first), 'numLayers': 2,
              'norm': {'normalizedShape': [d], 'eps': 1e-5} if final_norm else None, 'enableNestedTensor': False},
             make, ins)

# TransformerDecoderLayer: tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask
for (norm_first, act, tgt_kpm, mem_kpm, batch_first, d, h, ff, T, S, N, tl, sl) in [
    (False, 'relu', 'bool', 'bool', True, 12, 3, 20, 6, 7, 3, [6, 2, 4], [7, 3, 1]),
    (True, 'gelu', 'bool', 'float', False, 12, 2, 20, 5, 7, 2, [3, 5], [7, 2]),
    (False, 'gelu', 'bool', 'float', True, 40, 4, 40, 5, 9, 2, [5, 2], [4, 9]),
]:
    ins = [('tgt', seq(N, T, d, batch_first)), ('memory', seq(N, S, d, batch_first)),
           ('tgtMask', causal(T, 'float')),
           ('tgtKeyPaddingMask', kpm(N, T, tl, tgt_kpm)), ('memoryKeyPaddingMask', kpm(N, S, sl, mem_kpm))]
    name = f"{'prenorm' if norm_first else 'postnorm'}-{act}-causal-{tgt_kpm}-tgtKeyPadding-{mem_kpm}-memoryKeyPadding{'' if batch_first else '-seqFirst'}"
    add_case(f'TransformerDecoderLayer/{name}/d{d}-h{h}-T{T}-S{S}-N{N}', 'TransformerDecoderLayer',
             enc_layer_kwargs(d, h, ff, act, batch_first, norm_first),
             dec_layer(d, h, ff, act, batch_first, norm_first), ins, TOL_WIDE if d >= 40 else TOL)

out = os.path.join(os.path.dirname(__file__), '../packages/conformance/test/fixtures/padding_mask_cases.json')
with open(out, 'w') as f:
    f.write(json.dumps({'generator': 'torch ' + torch.__version__ + ' (scripts/gen_padding_mask_cases.py)', 'torchVersion': torch.__version__,
                        'variant': 'padding-masks', 'seed': 13, 'formatVersion': 1, 'family': 'modules', 'cases': []})[:-3] + '[\n')
    f.write(',\n'.join(json.dumps(c, separators=(',', ':')) for c in CASES))
    f.write('\n]}\n')
print(f'{len(CASES)} cases -> {os.path.normpath(out)} ({os.path.getsize(out)} bytes)')
