/**
 * PyTorch's dtype constants, so `torch.float16`, `torch.half`, `torch.long` translate literally:
 * each is the torchlet dtype string it stands for (`torch.long === 'int32'`, since int64 is
 * stored as int32 with an overflow check). Pass them wherever a dtype goes.
 *
 * @example
 * const idx = torch.tensor([2, 0], { dtype: torch.long });   // int32 storage
 * const w = torch.randn([4, 4]).to(torch.bfloat16);
 * w.dtype === torch.bfloat16;                                // true
 */
import type { DType } from './dtype.ts';

/** 32-bit float (PyTorch's default dtype). */
export const float32: DType = 'float32';
/** PyTorch's `torch.float`: float32. */
export const float: DType = 'float32';
/** IEEE half precision (storage; computes in float32). */
export const float16: DType = 'float16';
/** PyTorch's `torch.half`: float16. */
export const half: DType = 'float16';
/** Brain float (8-bit exponent, 7-bit mantissa; storage; computes in float32). */
export const bfloat16: DType = 'bfloat16';
/** 32-bit integer. */
export const int32: DType = 'int32';
/** PyTorch's `torch.int`: int32. */
export const int: DType = 'int32';
/** PyTorch's `torch.int64`: stored as int32; values outside int32 throw. */
export const int64: DType = 'int32';
/** PyTorch's `torch.long`: stored as int32; values outside int32 throw. */
export const long: DType = 'int32';
/** Boolean (one byte per element). */
export const bool: DType = 'bool';

// PyTorch dtypes torchlet does not have: defined (not undefined, which a creation function would
// read as "default dtype" and silently give float32) so that passing one throws a clear error.
/** Not supported (torchlet computes in 32 bits): passing it throws. */
export const float64 = 'float64' as const;
/** PyTorch's `torch.double`: float64, not supported; passing it throws. */
export const double = 'float64' as const;
/** Not supported: passing it throws (use int32, or bool for masks). */
export const uint8 = 'uint8' as const;
/** Not supported: passing it throws (use int32). */
export const int8 = 'int8' as const;
/** Not supported: passing it throws (use int32). */
export const int16 = 'int16' as const;
