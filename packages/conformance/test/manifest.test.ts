import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAMILIES, LOCAL_FAMILIES, loadFamily } from '../src/cases.ts';

interface Manifest {
  files: Record<string, { family: string; cases: number; bytes: number; sha256: string }>;
}

const casesDir = new URL('../cases/', import.meta.url);
// ../shared/conformance from the repository root (packages/conformance/test -> ../../../..).
const sharedManifest = new URL('../../../../shared/conformance/manifest.json', import.meta.url);
// ops_extra.json came from ../shared/conformance-next, which keeps its own manifest.
const nextManifest = new URL('../../../../shared/conformance-next/manifest.json', import.meta.url);

const readManifest = (url: URL): Manifest => JSON.parse(readFileSync(url, 'utf8')) as Manifest;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function checkAgainst(manifest: Manifest) {
  for (const [file, entry] of Object.entries(manifest.files)) {
    const bytes = readFileSync(new URL(file, casesDir));
    expect({ file, bytes: bytes.length, sha256: sha256(bytes) }).toEqual({ file, bytes: entry.bytes, sha256: entry.sha256 });
  }
}

describe('case files', () => {
  it('match the copied manifest.json', () => {
    checkAgainst(readManifest(new URL('manifest.json', casesDir)));
  });

  it.skipIf(!existsSync(sharedManifest) || !existsSync(nextManifest))('match ../shared/conformance(-next)/manifest.json', () => {
    const base = readManifest(sharedManifest);
    const shared = { files: { ...base.files, ...readManifest(nextManifest).files } };
    checkAgainst(shared);
    // The copy lists the same files: a file added upstream must be copied here too.
    expect(Object.keys(readManifest(new URL('manifest.json', casesDir)).files).sort()).toEqual(Object.keys(shared.files).sort());
  });

  it('load with the counts the manifest states', async () => {
    const manifest = readManifest(new URL('manifest.json', casesDir));
    for (const family of FAMILIES.filter((f) => !LOCAL_FAMILIES.includes(f))) {
      const expected = Object.values(manifest.files)
        .filter((f) => f.family === family)
        .reduce((n, f) => n + f.cases, 0);
      const cases = await loadFamily(family);
      expect({ family, cases: cases.length }).toEqual({ family, cases: expected });
      expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    }
  });

  it('local families (generated here, not in the manifest) load with unique ids', async () => {
    for (const family of LOCAL_FAMILIES) {
      const cases = await loadFamily(family);
      expect(cases.length).toBeGreaterThan(0);
      expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    }
  });
});
