/**
 * What makes `net(x)` work as in PyTorch: a class whose constructor returns a function object
 * instead of a plain one. JavaScript lets a base class constructor return any object; the
 * subclass constructors (and their class fields, public and `#private`) then run on that object,
 * so every field of every subclass lands on the function.
 *
 * The function is an arrow function (no own `prototype`, so `new net()` throws "not a
 * constructor") whose prototype is set to `new.target.prototype`, and `Callable.prototype`'s to
 * `Function.prototype`: `typeof net` is `'function'`, `net instanceof Module` (and its class) and
 * `net instanceof Function` are true, `net.call` and `net.bind` work as on any function, and
 * `net.apply` is PyTorch's `Module.apply`, which shadows `Function.prototype.apply`. The
 * function's own `name` and `length` are deleted so that subclasses can assign fields of those
 * names and `ModuleList`'s `length` getter is seen (`net.name` is then `''`, `net.length` 0, from
 * `Function.prototype`).
 */
export abstract class Callable {
  constructor() {
    // Calling the module calls its `__call__` (Module: hooks around `forward`).
    const self = (...args: unknown[]): unknown => (self as unknown as { __call__(...a: unknown[]): unknown }).__call__(...args);
    delete (self as { name?: string }).name;
    delete (self as { length?: number }).length;
    Object.setPrototypeOf(self, new.target.prototype);
    return self as unknown as Callable;
  }
}

// Function's methods (call, bind, Symbol.hasInstance) for the function objects modules are.
Object.setPrototypeOf(Callable.prototype, Function.prototype);
