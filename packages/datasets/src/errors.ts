/**
 * The one error type the file parsers throw. Every message names the file (or the caller's label
 * for the bytes) and says what was wrong, with expected and actual sizes where sizes disagree.
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
