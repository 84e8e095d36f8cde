// AssemblyScript hot loops. Every kernel takes (ptr, len) integers into linear memory that the
// host owns and fills (see src/wasm/kernels.ts); nothing here allocates.
export { sumSquaredError } from "./sse";
export { downscaleBox2x, downscaleBilinear, downscale3of4 } from "./downscale";
export { xorInto, xorPackets } from "./xor";

/** First byte of linear memory free for the host's scratch region (after static data). */
export function heapBase(): usize {
  return __heap_base;
}
