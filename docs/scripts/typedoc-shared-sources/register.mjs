/**
 * `node --import ./docs/scripts/typedoc-shared-sources/register.mjs node_modules/typedoc/bin/typedoc`
 * (docs.mjs, check-docs.mjs): typedoc's per-package TypeScript programs share their parsed source
 * files. typedoc's "packages" strategy builds one program per package, and each one parsed and
 * bound everything its package sees again: the lib files (lib.dom.d.ts alone is 1.9 MB),
 * @types/node and the sources of every package it imports (core's in all nine). With one cache of
 * source files, as TypeScript's language service keeps with its document registry, each file is
 * parsed and bound once (the checker binds a file only if it is not bound yet, and copies a shared
 * file's symbols before it merges them). The pages come out the same (checked on the whole site:
 * only the numbering of the syntax-highlighting classes differed, which follows the order the code
 * blocks are highlighted in). 77 -> 21 s of CPU for `pnpm run docs` with typedoc.json's
 * packageOptions (no type check per package); this file's share is about a third of what is left.
 *
 * TypeScript's exports are read-only getters, so typedoc's `import ts from 'typescript'` is
 * resolved (hooks.mjs) to typescript.mjs: TypeScript with a createProgram that gives every program
 * the caching compiler host.
 */
import { register } from 'node:module';

register(new URL('./hooks.mjs', import.meta.url));
