/** Dynamic quantisation: int8 and float16 Linear layers and their checkpoints. */
export { QuantizedLinear, Float16Linear, quantizePerChannel, paddedK, type PerChannelInt8 } from './quantized-linear.ts';
export { quantizeDynamic, saveQuantized, loadQuantized, modelBytes, type QuantizeDynamicOptions } from './quantize.ts';
export { floatToHalf, halfToFloat } from './half.ts';
