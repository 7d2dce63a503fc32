// TypeScript as typedoc sees it (register.mjs): every program it creates shares one cache of parsed
// source files.
import { createRequire } from 'node:module';

const require = createRequire(createRequire(import.meta.url).resolve('typedoc'));
const ts = require('typescript');

/** Source files by file name and the options that shape a parse. */
const cache = new Map();

function createProgram(rootNamesOrOptions, ...rest) {
  const args = Array.isArray(rootNamesOrOptions)
    ? { rootNames: rootNamesOrOptions, options: rest[0], host: rest[1], oldProgram: rest[2], configFileParsingDiagnostics: rest[3] }
    : { ...rootNamesOrOptions };
  const host = args.host ?? ts.createCompilerHost(args.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) => {
    const o = typeof languageVersionOrOptions === 'object' ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions };
    const key = `${fileName}\0${o.languageVersion}\0${o.impliedNodeFormat}\0${o.jsDocParsingMode}`;
    if (!shouldCreateNewSourceFile && cache.has(key)) return cache.get(key);
    const file = getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile);
    if (file) cache.set(key, file);
    return file;
  };
  return ts.createProgram({ ...args, host });
}

export default Object.assign({}, ts, { createProgram });
