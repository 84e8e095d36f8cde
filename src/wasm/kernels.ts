import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BadFileError, InvalidOptionError, checkInt, checkOneOf } from "../errors.js";

/** Which AssemblyScript build to load: `release` (optimized, no asserts) or `debug`. */
export type KernelsBuild = "release" | "debug";

interface RawExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  sumSquaredError(a: number, b: number, len: number): number;
  downscaleBox2x(src: number, srcStride: number, dst: number, dstStride: number, dstW: number, dstH: number): void;
  downscaleBilinear(
    src: number, srcW: number, srcH: number, srcStride: number,
    dst: number, dstW: number, dstH: number, dstStride: number, tmp: number,
  ): void;
  downscale3of4(src: number, srcW: number, srcH: number, srcStride: number, dst: number, dstStride: number): void;
  xorInto(dst: number, src: number, len: number): void;
  xorPackets(dst: number, dstLen: number, src: number, lens: number, count: number): void;
}

const WASM_PAGE_BYTES = 65536;

/**
 * The AssemblyScript kernels of build/assembly/*.wasm, instantiated once per build. The host
 * owns a scratch region in the module's linear memory: every call copies its inputs there (the
 * one copy), calls the kernel with (ptr, len) integers, and reads results back. Memory grows
 * on demand; views over `memory.buffer` are re-derived after every growth.
 */
export class WasmKernels {
  readonly build: KernelsBuild;
  private readonly raw: RawExports;
  private readonly scratchStart: number;
  private heap: Uint8Array;

  private constructor(build: KernelsBuild, raw: RawExports) {
    this.build = build;
    this.raw = raw;
    this.scratchStart = (raw.heapBase() + 15) & ~15;
    this.heap = new Uint8Array(raw.memory.buffer);
  }

  /**
   * The kernels of one build, loaded synchronously on first use and cached. The build defaults
   * to the environment variable RTCPIPE_WASM_BUILD when set, else `release`.
   */
  static get(build?: KernelsBuild): WasmKernels {
    const b = checkOneOf("build", build ?? process.env["RTCPIPE_WASM_BUILD"] ?? "release", ["release", "debug"] as const);
    let k = cache.get(b);
    if (!k) {
      k = new WasmKernels(b, instantiate(b));
      cache.set(b, k);
    }
    return k;
  }

  /** Bytes of linear memory currently reserved (for tests of growth). */
  get memoryBytes(): number {
    return this.raw.memory.buffer.byteLength;
  }

  /** Sum over i of (a[i] - b[i])^2 for two equally long byte arrays. */
  sumSquaredError(a: Uint8Array, b: Uint8Array): number {
    if (a.length !== b.length) {
      throw new InvalidOptionError(`Cannot compute the squared error: lengths differ (${a.length} vs ${b.length})`);
    }
    const len = a.length;
    const pa = this.scratchStart;
    const pb = align16(pa + len);
    const heap = this.reserve(pb + len);
    heap.set(a, pa);
    heap.set(b, pb);
    return this.raw.sumSquaredError(pa, pb, len);
  }

  /**
   * Squared error of two `width` x `height` planes with their own strides. Rows are packed
   * into scratch, so strided planes cost the same single copy as packed ones.
   */
  sumSquaredErrorPlane(
    a: Uint8Array, strideA: number, b: Uint8Array, strideB: number, width: number, height: number,
  ): number {
    const len = width * height;
    if (strideA === width && strideB === width && a.length >= len && b.length >= len) {
      return this.sumSquaredError(a.subarray(0, len), b.subarray(0, len));
    }
    checkPlane("a", a, strideA, width, height);
    checkPlane("b", b, strideB, width, height);
    const pa = this.scratchStart;
    const pb = align16(pa + len);
    const heap = this.reserve(pb + len);
    for (let y = 0; y < height; y++) {
      heap.set(a.subarray(y * strideA, y * strideA + width), pa + y * width);
      heap.set(b.subarray(y * strideB, y * strideB + width), pb + y * width);
    }
    return this.raw.sumSquaredError(pa, pb, len);
  }

  /**
   * Exact 2:1 box downscale of one plane (srcW x srcH with `srcStride`) into a packed
   * (srcW >> 1) x (srcH >> 1) plane, written to `dst` when given, else to a new array.
   */
  downscaleBox2x(src: Uint8Array, srcW: number, srcH: number, srcStride = srcW, dst?: Uint8Array): Uint8Array {
    checkInt("srcW", srcW, 2, 16384);
    checkInt("srcH", srcH, 2, 16384);
    checkPlane("src", src, srcStride, srcW, srcH);
    const dstW = srcW >> 1;
    const dstH = srcH >> 1;
    const out = dst ?? new Uint8Array(dstW * dstH);
    if (out.length < dstW * dstH) throw new InvalidOptionError(`Cannot downscale: dst holds ${out.length} bytes, needs ${dstW * dstH}`);
    const srcLen = srcStride * (srcH - 1) + srcW;
    const ps = this.scratchStart;
    const pd = align16(ps + srcStride * srcH + 32);
    const heap = this.reserve(pd + dstW * dstH);
    heap.set(src.subarray(0, srcLen), ps);
    this.raw.downscaleBox2x(ps, srcStride, pd, dstW, dstW, dstH);
    out.set(this.heap.subarray(pd, pd + dstW * dstH));
    return out;
  }

  /** Bilinear resize of one plane into a packed dstW x dstH plane (dstW <= srcW, dstH <= srcH). */
  downscaleBilinear(
    src: Uint8Array, srcW: number, srcH: number, srcStride: number, dstW: number, dstH: number, dst?: Uint8Array,
  ): Uint8Array {
    checkInt("srcW", srcW, 1, 16384);
    checkInt("srcH", srcH, 1, 16384);
    checkInt("dstW", dstW, 1, srcW);
    checkInt("dstH", dstH, 1, srcH);
    checkPlane("src", src, srcStride, srcW, srcH);
    const out = dst ?? new Uint8Array(dstW * dstH);
    if (out.length < dstW * dstH) throw new InvalidOptionError(`Cannot downscale: dst holds ${out.length} bytes, needs ${dstW * dstH}`);
    const srcLen = srcStride * (srcH - 1) + srcW;
    const ps = this.scratchStart;
    const pd = align16(ps + srcLen);
    const pt = align16(pd + dstW * dstH);
    const heap = this.reserve(pt + dstW * 8);
    heap.set(src.subarray(0, srcLen), ps);
    this.raw.downscaleBilinear(ps, srcW, srcH, srcStride, pd, dstW, dstH, dstW, pt);
    out.set(this.heap.subarray(pd, pd + dstW * dstH));
    return out;
  }

  /**
   * Exact 4:3 area downscale of one plane (srcW, srcH multiples of 4) into a packed
   * (srcW·3/4) x (srcH·3/4) plane: 640x480 → 480x360 with every source pixel weighted by the
   * area it covers.
   */
  downscale3of4(src: Uint8Array, srcW: number, srcH: number, srcStride = srcW, dst?: Uint8Array): Uint8Array {
    checkInt("srcW", srcW, 4, 16384);
    checkInt("srcH", srcH, 4, 16384);
    if (srcW % 4 !== 0 || srcH % 4 !== 0) throw new InvalidOptionError(`Cannot downscale ${srcW}x${srcH} by 3/4: allowed are widths and heights that are multiples of 4`);
    checkPlane("src", src, srcStride, srcW, srcH);
    const dstW = (srcW * 3) >> 2;
    const dstH = (srcH * 3) >> 2;
    const out = dst ?? new Uint8Array(dstW * dstH);
    if (out.length < dstW * dstH) throw new InvalidOptionError(`Cannot downscale: dst holds ${out.length} bytes, needs ${dstW * dstH}`);
    const srcLen = srcStride * (srcH - 1) + srcW;
    const ps = this.scratchStart;
    const pd = align16(ps + srcLen);
    const heap = this.reserve(pd + dstW * dstH);
    heap.set(src.subarray(0, srcLen), ps);
    this.raw.downscale3of4(ps, srcW, srcH, srcStride, pd, dstW);
    out.set(this.heap.subarray(pd, pd + dstW * dstH));
    return out;
  }

  /**
   * XOR parity (RFC 5109 6.2): `dst[i] ^= src[i]` for the first `src.length` bytes, in place.
   * Both arrays are copied into scratch once and the result copied back.
   */
  xorInto(dst: Uint8Array, src: Uint8Array): Uint8Array {
    const len = src.length;
    if (dst.length < len) throw new InvalidOptionError(`Cannot XOR: dst holds ${dst.length} bytes, src has ${len}`);
    const pd = this.scratchStart;
    const ps = align16(pd + len);
    const heap = this.reserve(ps + len);
    heap.set(dst.subarray(0, len), pd);
    heap.set(src, ps);
    this.raw.xorInto(pd, ps, len);
    dst.set(this.heap.subarray(pd, pd + len));
    return dst;
  }

  /**
   * XOR of several packets, each zero-extended to `outLen` bytes (RFC 5109 10.2), written to
   * `out` (or a new array). Packets longer than `outLen` count up to `outLen`. One kernel call:
   * the packets are laid out back to back in scratch, XORed there, and the parity read out once.
   */
  xorPackets(srcs: readonly Uint8Array[], outLen: number, out?: Uint8Array): Uint8Array {
    checkInt("outLen", outLen, 0, 1 << 24);
    const dst = out ?? new Uint8Array(outLen);
    if (dst.length < outLen) throw new InvalidOptionError(`Cannot XOR packets: out holds ${dst.length} bytes, needs ${outLen}`);
    const count = srcs.length;
    const pd = this.scratchStart;
    const pl = align16(pd + outLen);
    const ps = align16(pl + 4 * count);
    let end = ps;
    for (const s of srcs) end += align16(Math.min(s.length, outLen));
    const heap = this.reserve(end);
    const lens = new Int32Array(heap.buffer, pl, count);
    let p = ps;
    for (let j = 0; j < count; j++) {
      const s = srcs[j]!;
      const n = Math.min(s.length, outLen);
      lens[j] = n;
      heap.set(n === s.length ? s : s.subarray(0, n), p);
      p += align16(n);
    }
    this.raw.xorPackets(pd, outLen, ps, pl, count);
    dst.set(this.heap.subarray(pd, pd + outLen));
    return dst;
  }

  /**
   * Raw access for hot paths that lay out their own bytes in the scratch region (SRTP): the
   * first byte of that region. The region is shared by every kernel call and holds nothing
   * between calls, so a user writes everything it needs each time.
   */
  get scratchOffset(): number {
    return this.scratchStart;
  }

  /**
   * A view of all of linear memory, grown so that `bytes` bytes from scratchOffset fit. The
   * view object changes only when memory grows (which detaches the old one): callers may cache
   * sub-views while this returns the same object.
   */
  scratchMemory(bytes: number): Uint8Array {
    return this.reserve(this.scratchStart + bytes);
  }

  /** `mem[dst + i] ^= mem[src + i]` for i < len, at raw linear-memory positions (no copies). */
  xorAt(dst: number, src: number, len: number): void {
    this.raw.xorInto(dst, src, len);
  }

  /** Grows linear memory to hold `endByte` bytes and returns a fresh view over it. */
  private reserve(endByte: number): Uint8Array {
    const mem = this.raw.memory;
    if (endByte > mem.buffer.byteLength) {
      mem.grow(Math.ceil((endByte - mem.buffer.byteLength) / WASM_PAGE_BYTES));
    }
    // Growth detaches the old ArrayBuffer: re-derive the view whenever the buffer changed.
    if (this.heap.buffer !== mem.buffer) this.heap = new Uint8Array(mem.buffer);
    return this.heap;
  }
}

const cache = new Map<KernelsBuild, WasmKernels>();

function instantiate(build: KernelsBuild): RawExports {
  const url = new URL(`../../build/assembly/${build}.wasm`, import.meta.url);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(fileURLToPath(url)));
  } catch (err) {
    throw new BadFileError(
      `Cannot load the ${build} kernels: ${fileURLToPath(url)} is missing (${(err as Error).message}); run \`npm run build:asc\``,
    );
  }
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`WASM kernel assertion failed at ${line}:${col}`);
      },
    },
  });
  return instance.exports as unknown as RawExports;
}

function align16(n: number): number {
  return (n + 15) & ~15;
}

function checkPlane(what: string, plane: Uint8Array, stride: number, width: number, height: number): void {
  if (!Number.isInteger(stride) || stride < width) {
    throw new InvalidOptionError(`Cannot use ${what} stride=${stride}: allowed is an integer >= width ${width}`);
  }
  const need = stride * (height - 1) + width;
  if (plane.length < need) {
    throw new InvalidOptionError(`Cannot use plane ${what}: it holds ${plane.length} bytes, ${width}x${height} at stride ${stride} needs ${need}`);
  }
}
