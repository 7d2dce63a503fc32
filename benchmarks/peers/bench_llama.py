#!/usr/bin/env python3
"""The PyTorch side of benchmarks/llm: random-weight Llama checkpoints, and their prefill and
decode speed in PyTorch CPU eager with a key/value cache (Debian python3-torch 1.13.1).

    /usr/bin/python3 bench_llama.py --make DIR --size 15M|110M [--dtype f32|bf16]
        writes DIR/config.json and DIR/model.safetensors (Hugging Face's layout and key names),
        seeded random weights in llama2.c's stories15M / stories110M shapes; prints one JSON line.
    /usr/bin/python3 bench_llama.py --bench DIR-or-FILE.bin --threads N --prompt 128 --decode 64
        loads DIR (or a llama2.c .bin, e.g. ../shared/models/stories15M.bin), prefills a fixed prompt, decodes greedily through the cache; prints one JSON
        line with tokens/s and the greedy tokens (the torchlet runner checks it gets the same).

The model is the plain-torch forward of packages/transformer/test/fixtures/make_llama_fixtures.py
(Hugging Face's semantics: half-split rotary pairs, RMSNorm, SwiGLU), written as one would in eager
PyTorch: F.linear (nn.Linear's call) on contiguous weights, rotary tables computed once,
a key/value cache preallocated to the context length and written in place (no concatenation),
torch.inference_mode. Writing safetensors by hand: torch 1.13 has no safetensors package.
"""
import argparse
import json
import math
import os
import pathlib
import struct
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument('--make', default=None)
ap.add_argument('--size', default='15M')
ap.add_argument('--dtype', default='f32')
ap.add_argument('--bench', default=None)
ap.add_argument('--threads', type=int, default=0, help='0: PyTorch default')
ap.add_argument('--prompt', type=int, default=128)
ap.add_argument('--decode', type=int, default=64)
ap.add_argument('--repeats', type=int, default=3)
args = ap.parse_args()

if args.threads > 0:  # before torch loads its BLAS / OpenMP
    os.environ['OMP_NUM_THREADS'] = str(args.threads)
    os.environ['OPENBLAS_NUM_THREADS'] = str(args.threads)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

if args.threads > 0:
    torch.set_num_threads(args.threads)

# llama2.c's TinyStories shapes (classifier shared with the embedding).
SHAPES = {
    '15M': dict(hidden_size=288, intermediate_size=768, num_hidden_layers=6, num_attention_heads=6, max_position_embeddings=256),
    '110M': dict(hidden_size=768, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=12, max_position_embeddings=1024),
}
DTYPES = {torch.float32: 'F32', torch.bfloat16: 'BF16'}


def make(path, size, dtype):
    s = SHAPES[size]
    cfg = dict(architectures=['LlamaForCausalLM'], model_type='llama', vocab_size=32000, num_key_value_heads=s['num_attention_heads'],
               rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True, hidden_act='silu', **s)
    C, I, L, V = s['hidden_size'], s['intermediate_size'], s['num_hidden_layers'], 32000
    g = torch.Generator().manual_seed(0)
    rnd = lambda *shape, std=0.02: torch.randn(*shape, generator=g) * std
    # Weights of std 1/sqrt(fan_in) (not llama2.c's 0.02): with small weights a random model only
    # repeats its input token, and the greedy tokens the runner compares would say little.
    a, b = 1 / math.sqrt(C), 1 / math.sqrt(I)
    sd = {'model.embed_tokens.weight': rnd(V, C)}
    for i in range(L):
        p = f'model.layers.{i}.'
        sd[p + 'input_layernorm.weight'] = 1 + rnd(C, std=0.1)
        for n, shape, std in (('q_proj', (C, C), a), ('k_proj', (C, C), a), ('v_proj', (C, C), a), ('o_proj', (C, C), a)):
            sd[p + 'self_attn.' + n + '.weight'] = rnd(*shape, std=std)
        sd[p + 'post_attention_layernorm.weight'] = 1 + rnd(C, std=0.1)
        for n, shape, std in (('gate_proj', (I, C), a), ('up_proj', (I, C), a), ('down_proj', (C, I), b)):
            sd[p + 'mlp.' + n + '.weight'] = rnd(*shape, std=std)
    sd['model.norm.weight'] = 1 + rnd(C, std=0.1)
    dt = torch.bfloat16 if dtype == 'bf16' else torch.float32
    path = pathlib.Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / 'config.json').write_text(json.dumps(cfg, indent=1))
    header, offset = {'__metadata__': {'format': 'pt'}}, 0
    for k, t in sd.items():
        n = t.numel() * (2 if dt == torch.bfloat16 else 4)
        header[k] = {'dtype': DTYPES[dt], 'shape': list(t.shape), 'data_offsets': [offset, offset + n]}
        offset += n
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    tmp = path / 'model.safetensors.partial'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h)
        for t in sd.values():
            t = t.to(dt).contiguous()
            f.write((t.view(torch.int16) if dt == torch.bfloat16 else t).numpy().tobytes())
    tmp.rename(path / 'model.safetensors')
    print(json.dumps({'made': str(path), 'size': size, 'dtype': dtype, 'params': sum(t.numel() for t in sd.values())}))


def load_llama2c(path):
    """A llama2.c legacy float32 checkpoint (e.g. ../shared/models/stories15M.bin) as an HF-named state dict; interleaved rotary pairs."""
    raw = pathlib.Path(path).read_bytes()
    dim, hidden, L, nh, nkv, vocab, seq = struct.unpack('<7i', raw[:28])
    shared, V, hs = vocab > 0, abs(vocab), dim // nh
    data = torch.frombuffer(bytearray(raw[28:]), dtype=torch.float32)
    at = 0

    def take(*shape):
        nonlocal at
        n = math.prod(shape)
        t = data[at:at + n].reshape(shape)
        at += n
        return t

    sd = {'model.embed_tokens.weight': take(V, dim)}
    kvd = nkv * hs
    for name, shape in (('input_layernorm', (dim,)), ('self_attn.q_proj', (dim, dim)), ('self_attn.k_proj', (kvd, dim)), ('self_attn.v_proj', (kvd, dim)),
                        ('self_attn.o_proj', (dim, dim)), ('post_attention_layernorm', (dim,)), ('mlp.gate_proj', (hidden, dim)),
                        ('mlp.down_proj', (dim, hidden)), ('mlp.up_proj', (hidden, dim))):
        block = take(L, *shape)
        for i in range(L):
            sd[f'model.layers.{i}.{name}.weight'] = block[i].contiguous()
    sd['model.norm.weight'] = take(dim)
    take(2, seq, hs // 2)
    if not shared:
        sd['lm_head.weight'] = take(V, dim)
    cfg = dict(vocab_size=V, hidden_size=dim, intermediate_size=hidden, num_hidden_layers=L, num_attention_heads=nh, num_key_value_heads=nkv,
               max_position_embeddings=seq, rms_norm_eps=1e-5, rope_theta=10000.0, rope_style='interleaved')
    return cfg, sd


def load(path):
    path = pathlib.Path(path)
    if path.is_file():
        return load_llama2c(path)
    cfg = json.loads((path / 'config.json').read_text())
    raw = (path / 'model.safetensors').read_bytes()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    sd = {}
    for k, m in header.items():
        if k == '__metadata__':
            continue
        a, b = m['data_offsets']
        buf = bytearray(raw[8 + n + a:8 + n + b])
        if m['dtype'] == 'BF16':
            t = torch.frombuffer(buf, dtype=torch.int16).view(torch.bfloat16).float()
        else:
            t = torch.frombuffer(buf, dtype=torch.float32)
        sd[k] = t.reshape(m['shape']).contiguous()
    return cfg, sd


class Llama:
    """Hugging Face Llama's forward with a preallocated key/value cache (batch 1)."""

    def __init__(self, cfg, sd):
        self.cfg, self.sd = cfg, sd
        C, nh = cfg['hidden_size'], cfg['num_attention_heads']
        self.nh, self.nkv, self.hs, self.eps = nh, cfg['num_key_value_heads'], C // nh, cfg['rms_norm_eps']
        S = cfg['max_position_embeddings']
        inv = 1.0 / (cfg['rope_theta'] ** (torch.arange(0, self.hs, 2, dtype=torch.float64) / self.hs))
        ang = torch.arange(S, dtype=torch.float64)[:, None] * inv[None, :]
        self.cos, self.sin = ang.cos().float(), ang.sin().float()
        self.head = sd.get('lm_head.weight', sd['model.embed_tokens.weight'])
        self.reset()

    def reset(self):
        L, S = self.cfg['num_hidden_layers'], self.cfg['max_position_embeddings']
        self.k = [torch.zeros(1, self.nkv, S, self.hs) for _ in range(L)]
        self.v = [torch.zeros(1, self.nkv, S, self.hs) for _ in range(L)]
        self.pos = 0

    def norm(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    def rope(self, x, cos, sin):
        if self.cfg.get('rope_style') == 'interleaved':  # llama2.c: pairs (2i, 2i + 1)
            xr = x.reshape(*x.shape[:-1], -1, 2)
            a, b = xr[..., 0], xr[..., 1]
            return torch.stack([a * cos - b * sin, b * cos + a * sin], -1).reshape(x.shape)
        h = self.hs // 2
        x1, x2 = x[..., :h], x[..., h:]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)

    def forward(self, ids):
        """ids (1, T) -> the last position's logits (V,); appends T positions to the cache."""
        sd, nh, nkv, hs = self.sd, self.nh, self.nkv, self.hs
        T, P = ids.shape[1], self.pos
        cos, sin = self.cos[P:P + T], self.sin[P:P + T]
        x = sd['model.embed_tokens.weight'][ids]
        for i in range(self.cfg['num_hidden_layers']):
            p = f'model.layers.{i}.'
            h = self.norm(x, sd[p + 'input_layernorm.weight'])
            q = F.linear(h, sd[p + 'self_attn.q_proj.weight']).view(1, T, nh, hs).transpose(1, 2)
            k = F.linear(h, sd[p + 'self_attn.k_proj.weight']).view(1, T, nkv, hs).transpose(1, 2)
            v = F.linear(h, sd[p + 'self_attn.v_proj.weight']).view(1, T, nkv, hs).transpose(1, 2)
            q, k = self.rope(q, cos, sin), self.rope(k, cos, sin)
            self.k[i][:, :, P:P + T] = k
            self.v[i][:, :, P:P + T] = v
            keys, values = self.k[i][:, :, :P + T], self.v[i][:, :, :P + T]
            if nkv != nh:
                keys, values = keys.repeat_interleave(nh // nkv, 1), values.repeat_interleave(nh // nkv, 1)
            att = (q @ keys.transpose(-2, -1)) / math.sqrt(hs)
            if T > 1:
                att = att.masked_fill(torch.ones(T, P + T, dtype=torch.bool).triu(P + 1), float('-inf'))
            y = att.softmax(-1) @ values
            x = x + F.linear(y.transpose(1, 2).reshape(1, T, -1), sd[p + 'self_attn.o_proj.weight'])
            h = self.norm(x, sd[p + 'post_attention_layernorm.weight'])
            gate, up = F.linear(h, sd[p + 'mlp.gate_proj.weight']), F.linear(h, sd[p + 'mlp.up_proj.weight'])
            x = x + F.linear(F.silu(gate) * up, sd[p + 'mlp.down_proj.weight'])
        self.pos += T
        return F.linear(self.norm(x[:, -1], sd['model.norm.weight'])[0], self.head)


def prompt_ids(n, vocab):
    """The benchmark's prompt: BOS then a fixed pseudo-random walk over the vocabulary (the torchlet runner builds the same)."""
    return [1] + [(7919 * i * i + 104729 * i + 13) % vocab for i in range(1, n)]


def bench(path):
    cfg, sd = load(path)
    model = Llama(cfg, sd)
    ids = prompt_ids(args.prompt, cfg['vocab_size'])
    times, tokens = [], None  # (prefill, decode, prefill cpu, decode cpu) per measured run
    with torch.inference_mode():
        for _ in range(args.repeats + 1):  # the first run warms up
            model.reset()
            t0, c0 = time.perf_counter(), time.process_time()
            nxt = int(model.forward(torch.tensor([ids])).argmax())
            t1, c1 = time.perf_counter(), time.process_time()
            out = [nxt]
            for _ in range(args.decode - 1):
                nxt = int(model.forward(torch.tensor([[nxt]])).argmax())
                out.append(nxt)
            t2, c2 = time.perf_counter(), time.process_time()
            if tokens is not None:
                times.append((t1 - t0, t2 - t1, c1 - c0, c2 - c1))
            tokens = out
    # Medians over the measured runs (the runner reports medians on both sides).
    med = [sorted(col)[len(col) // 2] for col in zip(*times)]
    print(json.dumps({
        'bench': 'llama', 'threads': torch.get_num_threads(), 'prompt': args.prompt, 'decode': args.decode,
        'prefill_tps': args.prompt / med[0], 'decode_tps': (args.decode - 1) / med[1],
        'prefill_cpu_tps': args.prompt / med[2], 'decode_cpu_tps': (args.decode - 1) / med[3], 'tokens': tokens,
        'torch': torch.__version__, 'blas': blas(),
    }))


def blas():
    """Which BLAS the process loaded (Debian's torch links libblas.so.3: reference BLAS unless OpenBLAS is installed)."""
    libs = {l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l and '/' in l}
    return 'OpenBLAS' if any('openblas' in l for l in libs) else 'reference BLAS (slow; apt-get install libopenblas0-pthread)'


if args.make:
    make(args.make, args.size, args.dtype)
elif args.bench:
    bench(args.bench)
else:
    sys.exit('bench_llama.py: give --make DIR or --bench DIR (see the docstring)')
