/**
 * A small strict JSON parser for untrusted safetensors headers. Unlike `JSON.parse` it reports
 * duplicate keys (JSON.parse keeps the last one silently), keeps each number's source text (so
 * `1e3` or `2.0` can be refused where an integer is required, and a value beyond 2^53 is not
 * silently rounded), bounds nesting depth, and never recurses deeper than that bound.
 */

export type JsonValue =
  | { kind: 'object'; entries: Map<string, JsonValue> }
  | { kind: 'array'; items: JsonValue[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

/** A parse failure; `message` says what and at which character. */
export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
}

const MAX_DEPTH = 64;

/**
 * Parses `text`, refusing more than `maxValues` JSON values (each object, array, string, number,
 * bool and null counts one), so the work and memory an untrusted header can cost are bounded by
 * the caller's limit, not only by its byte length.
 */
export function parseStrictJson(text: string, maxValues = Infinity): JsonValue {
  let i = 0;
  let values = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at character ${i}`);
  };
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail('invalid literal');
  };
  const string = (): string => {
    i++; // opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          i -= 2;
          fail('invalid escape');
      }
      start = i;
    }
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const number = (): JsonValue => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail('invalid number');
    i += m[0].length;
    return { kind: 'number', raw: m[0], value: Number(m[0]) };
  };

  // Containers are parsed with an explicit stack, so depth costs no JS recursion.
  type Frame = { kind: 'object'; entries: Map<string, JsonValue>; key: string | null } | { kind: 'array'; items: JsonValue[] };
  const stack: Frame[] = [];
  let result: JsonValue | undefined;

  const open = (): JsonValue | null => {
    // Reads a scalar, or opens a container (returns null then).
    if (++values > maxValues) fail(`more than ${maxValues} values`);
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (stack.length >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
      i++;
      stack.push(c === '{' ? { kind: 'object', entries: new Map(), key: null } : { kind: 'array', items: [] });
      return null;
    }
    if (c === '"') return { kind: 'string', value: string() };
    if (c === 't') return literal('true'), { kind: 'bool', value: true };
    if (c === 'f') return literal('false'), { kind: 'bool', value: false };
    if (c === 'n') return literal('null'), { kind: 'null' };
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    return fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
  };

  // Adds a finished value to the innermost container (or makes it the result).
  const attach = (v: JsonValue): void => {
    const top = stack[stack.length - 1];
    if (!top) {
      result = v;
      return;
    }
    if (top.kind === 'array') top.items.push(v);
    else {
      top.entries.set(top.key!, v);
      top.key = null;
    }
  };

  let value = open();
  if (value) attach(value);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    ws();
    const empty = top.kind === 'array' ? top.items.length === 0 : top.entries.size === 0;
    const close = top.kind === 'array' ? ']' : '}';
    if (text[i] === close) {
      i++;
      stack.pop();
      attach(top.kind === 'array' ? { kind: 'array', items: top.items } : { kind: 'object', entries: top.entries });
      continue;
    }
    if (!empty) {
      if (text[i] !== ',') fail(`expected ',' or '${close}'`);
      i++;
      ws();
    }
    if (top.kind === 'object') {
      if (text[i] !== '"') fail('expected a string key');
      const key = string();
      if (top.entries.has(key)) fail(`duplicate key ${JSON.stringify(key)}`);
      ws();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      top.key = key;
    }
    value = open();
    if (value) attach(value);
  }
  ws();
  if (i !== text.length) fail('unexpected text after the JSON value');
  return result!;
}
