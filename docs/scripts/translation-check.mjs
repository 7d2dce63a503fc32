#!/usr/bin/env node
/**
 * Every torchlet name in the PyTorch translation table exists (run by docs:check, after the build):
 * reads each row's torchlet cell in docs/guides/pytorch-translation.md and resolves each
 * `torch.*`, `nn.*`, `F.*` and `optim.*` chain in the built umbrella, and each method or property
 * used on a tensor (`x.`, `y.`, `a.`, `w.`, `loss.`, ...), a module (`model.`) or an optimizer
 * (`opt.`) on a real one. A row naming something that is not exported (a rename, a typo, an op
 * that was planned) fails with its line.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);
const file = fileURLToPath(new URL('docs/guides/pytorch-translation.md', root));
const torch = await import(new URL('packages/torchlet/dist/index.js', root).href);
await torch.setBackend('wasm');

const tensor = torch.zeros([2, 2]);
const model = new torch.nn.Linear(2, 2);
const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
const roots = { torch, nn: torch.nn, F: torch.F, optim: torch.optim };
const instances = { x: tensor, y: tensor, a: tensor, b: tensor, w: tensor, loss: tensor, mask: tensor, model, opt };

const problems = [];
let checked = 0;
readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
  const m = /^\| `(.*)` \| `(.*)` \|$/.exec(line);
  if (!m) return;
  const code = m[2].replaceAll('\\|', '|').replace(/'[^']*'|"[^"]*"/g, "''");
  for (const [, head, rest] of code.matchAll(/(?<![\w$.])([A-Za-z_$][\w$]*)((?:\.[A-Za-z_$][\w$]*)+)/g)) {
    const parts = rest.slice(1).split('.');
    if (head in roots) {
      let v = roots[head];
      for (const [j, p] of parts.entries()) {
        if (v == null || !(p in Object(v))) {
          problems.push(`pytorch-translation.md:${i + 1}: ${head}.${parts.slice(0, j + 1).join('.')} does not exist (in "${m[2]}")`);
          break;
        }
        v = v[p];
      }
      checked++;
    } else if (head in instances) {
      if (!(parts[0] in instances[head])) problems.push(`pytorch-translation.md:${i + 1}: ${head}.${parts[0]} is not a member of ${instances[head].constructor.name} (in "${m[2]}")`);
      checked++;
    }
  }
});
for (const p of problems) console.error(p);
console.log(`translation table: ${checked} torchlet names checked, ${problems.length} missing`);
process.exit(problems.length === 0 ? 0 : 1);
