/**
 * The one error type the file parsers throw. Every message names the file (or the caller's label
 * for the bytes) and says what was wrong, with expected and actual sizes where sizes disagree.
 *
 * @example
 * ```ts
 * import { DatasetFormatError, parseIDX } from '@torchlet/datasets';
 * try {
 *   parseIDX(new Uint8Array([0, 0, 0, 0]), { name: 'labels.idx' });
 * } catch (err) {
 *   console.log(err instanceof DatasetFormatError);   // true: the message names the file and what is wrong
 * }
 * ```
 */
export class DatasetFormatError extends Error {
  /** The file name or label the error is about. */
  readonly file: string;

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'DatasetFormatError';
    this.file = file;
  }
}

/**
 * The largest single array the parsers will build: 2^31 bytes. Checked on header values before
 * anything is allocated, so a header that lies about its size costs nothing.
 */
export const MAX_BYTES = 2 ** 31;
