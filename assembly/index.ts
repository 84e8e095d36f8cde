// AssemblyScript hot loops. Every kernel takes (ptr, len) integers into linear memory that the
// host owns and fills (see src/wasm/kernels.ts); nothing here allocates.
export { sumSquaredError } from "./sse";
