/**
 * The Promise that `item()`, `tolist()` and `data()` return. Reading a tensor is asynchronous
 * (WebGPU maps buffers asynchronously), so a PyTorch line ported without `await`,
 * `total += loss.item()`, would silently give `"0[object Promise]"` and then NaN. This Promise
 * throws a TypeError saying to `await` it as soon as it is used as a number or a string;
 * awaiting it, `.then()` and `Promise.all` behave as for any Promise.
 *
 * @example
 * ```ts
 * const loss = torch.tensor(0.5);
 * const v = loss.item();        // a ReadPromise: reading is asynchronous
 * try { console.log(1 + (v as unknown as number)); } catch (err) { console.log((err as Error).message); }   // says to write await
 * console.log(await v);         // 0.5
 * ```
 */
export class ReadPromise<T> extends Promise<T> {
  /** `.then()` and friends return plain Promises: only the direct result needs the guard. */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  /** @internal The method's name, for the error message (`item`). */
  what = 'item';

  /** Wraps `p`, the read of the method `what`. */
  static of<T>(what: string, p: Promise<T>): ReadPromise<T> {
    const r = new ReadPromise<T>((resolve, reject) => p.then(resolve, reject));
    r.what = what;
    return r;
  }

  /** Throws: a read used as a number or a string has not been awaited. */
  [Symbol.toPrimitive](): never {
    throw new TypeError(
      `tensor.${this.what}() returns a Promise (reading a tensor is asynchronous): write \`await x.${this.what}()\` ` +
        `before using the value in arithmetic or a string (PyTorch's \`loss.item()\` is \`await loss.item()\`)`,
    );
  }

  /** Throws, as `[Symbol.toPrimitive]`. */
  override toString(): never {
    return this[Symbol.toPrimitive]();
  }

  /** Throws, as `[Symbol.toPrimitive]`. */
  override valueOf(): never {
    return this[Symbol.toPrimitive]();
  }
}
