/** The package's directory (packages/backend-wasm). */
export declare const packageDir: string;
/** The compiled variants, each in its own module `src/kernels-<name>.generated.ts`. */
export declare const VARIANTS: string[];
/** The path of a variant's generated module. */
export declare function generatedFile(variant: string): string;
/** The files the kernels are compiled from, relative to the package. */
export declare function kernelInputFiles(): string[];
/** sha256 (16 hex digits) over the input files and the compiler's version. */
export declare function kernelInputsHash(): string;
/** The header line that records the inputs' hash in each generated module. */
export declare function hashLine(hash: string): string;
/** The inputs' hash a generated module's text records, or undefined. */
export declare function recordedHash(text: string): string | undefined;
/** The variants whose generated module is missing or stale (empty: all current). */
export declare function staleVariants(hash?: string): string[];
