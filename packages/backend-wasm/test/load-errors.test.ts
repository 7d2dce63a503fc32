import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadKernels, supportsSimd } from '../src/load.ts';

// What a user sees when the kernels cannot load: what failed, and what to do about it.
// The simd module fails here as a chunk missing from a deployed bundle would (vitest wraps an
// error thrown by a mock factory in its own, so the module's one export throws instead).
vi.mock('../src/kernels-simd.generated.ts', () => ({
  get wasm(): string {
    throw new TypeError('Failed to fetch dynamically imported module: https://example.test/assets/kernels-simd.generated-X.js');
  },
}));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('wasm loading errors', () => {
  it('a kernels chunk that does not load names it, the URL tried, and says to deploy every emitted file', async () => {
    const err = (await loadKernels('simd').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/wasm backend: could not load the simd kernels module/);
    expect(err.message).toMatch(/https:\/\/example.test\/assets\/kernels-simd.generated-X.js/);
    expect(err.message).toMatch(/deploy every file your bundler emits/);
  });

  it('an engine without WebAssembly SIMD is told which engines run it', async () => {
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    expect(supportsSimd()).toBe(false);
    await expect(loadKernels()).rejects.toThrow(/does not support WebAssembly SIMD.*Chrome\/Edge >= 91.*Update the browser or runtime/);
  });

  it('a compile failure (say a Content-Security-Policy) names the cause and the CSP fix', async () => {
    vi.spyOn(WebAssembly, 'instantiate').mockRejectedValue(
      new WebAssembly.CompileError("WebAssembly.instantiate(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source"),
    );
    vi.spyOn(WebAssembly, 'validate').mockImplementation(() => true);
    const err = (await loadKernels('relaxed').catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/could not compile the relaxed kernels \(WebAssembly.instantiate\(\): Refused/);
    expect(err.message).toMatch(/'wasm-unsafe-eval'/);
    expect(err.cause).toBeInstanceOf(WebAssembly.CompileError);
  });
});
