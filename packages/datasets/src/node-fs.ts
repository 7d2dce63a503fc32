/**
 * File-system access for the `{ dir }` loaders. Node and Deno only: `node:fs/promises` is
 * imported dynamically here, and only when a `{ dir }` source is used, so the main entry has no
 * Node-only import and bundles for browsers unchanged.
 */

/**
 * The part of node:fs/promises used here, typed locally so type-checking this module needs no
 * @types/node (Deno type-checks the sources and would otherwise look for it).
 */
interface FsPromises {
  readFile(path: string | URL): Promise<Uint8Array>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  readdir(path: string): Promise<string[]>;
}
let fsPromise: Promise<FsPromises> | undefined;

async function fs(): Promise<FsPromises> {
  // A variable specifier keeps bundlers from trying to resolve node:fs for a browser build.
  const specifier = 'node:fs/promises';
  fsPromise ??= import(/* @vite-ignore */ specifier) as Promise<FsPromises>;
  try {
    return await fsPromise;
  } catch (e) {
    fsPromise = undefined;
    throw new Error(`reading a directory needs node:fs (Node or Deno); in a browser pass { url } or { bytes } instead (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** `dir` joined with `name` using '/', which Node and Deno accept on every platform. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') || dir.endsWith('\\') ? dir + name : `${dir}/${name}`;
}

/** The bytes of a file, named by a path or a file: URL. */
export async function readFileBytes(path: string | URL): Promise<Uint8Array> {
  const f = await fs();
  const buf = await f.readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The text of a UTF-8 file. */
export async function readFileText(path: string): Promise<string> {
  return (await fs()).readFile(path, 'utf8');
}

/** Names in a directory (sorted), or null when it does not exist. */
export async function listDir(path: string): Promise<string[] | null> {
  try {
    return (await (await fs()).readdir(path)).sort();
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'ENOTDIR') return null;
    throw e;
  }
}

/** The first of `names` that exists in `dir`, as a path; null when none does. */
export async function findFile(dir: string, names: readonly string[]): Promise<string | null> {
  const have = await listDir(dir);
  if (!have) return null;
  const set = new Set(have);
  for (const n of names) if (set.has(n)) return joinPath(dir, n);
  return null;
}

/**
 * How many files the `{ dir }` loaders read at once. The aclImdb folders hold 12,500 files each;
 * opening them all together failed with EMFILE under the common `ulimit -n 1024`.
 */
export const MAX_OPEN_FILES = 64;

/**
 * `fn` over `items` with at most `limit` calls in flight; results in input order. The first
 * failure rejects (calls already started finish, no new ones start).
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
