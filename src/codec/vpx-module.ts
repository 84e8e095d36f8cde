import { loadEmscriptenModule, type EmscriptenModuleBase } from "./codec-module-loader.js";

/** The raw C API of native/vpx_wrapper.c (pointers are numbers into the module's heap). */
export interface VpxModule extends EmscriptenModuleBase {
  _rp_vpx_last_error(): number;
  _rp_vpx_enc_create(
    codec: number,
    width: number,
    height: number,
    bitrateKbps: number,
    speed: number,
    keyframeInterval: number,
    dropFrameThresh: number,
    minQ: number,
    maxQ: number,
    errorResilient: number,
    undershootPct: number,
    overshootPct: number,
    bufferMs: number,
  ): number;
  _rp_vpx_enc_destroy(enc: number): void;
  _rp_vpx_enc_input(enc: number): number;
  _rp_vpx_enc_output(enc: number): number;
  _rp_vpx_enc_output_flags(enc: number): number;
  _rp_vpx_enc_encode(enc: number, pts90k: number, duration90k: number, flags: number): number;
  _rp_vpx_enc_set_bitrate(enc: number, bitrateKbps: number): number;
  _rp_vpx_enc_set_rate_limits(enc: number, maxQ: number, dropFrameThresh: number): number;
  _rp_vpx_enc_set_min_quantizer(enc: number, minQ: number): number;
  _rp_vpx_enc_last_quantizer(enc: number): number;
  _rp_vpx_enc_set_size(enc: number, width: number, height: number): number;
  _rp_vpx_dec_create(codec: number): number;
  _rp_vpx_dec_destroy(dec: number): void;
  _rp_vpx_dec_input(dec: number, len: number): number;
  _rp_vpx_dec_decode(dec: number, len: number): number;
  _rp_vpx_dec_frame_info(dec: number): number;
}

let cached: Promise<VpxModule> | undefined;

/**
 * Loads the VP8/VP9 WASM module (libvpx built by `npm run build:codecs`) once per process;
 * later calls return the same promise. Rejects with CodecError when the build is missing.
 */
export function loadVpx(): Promise<VpxModule> {
  cached ??= loadEmscriptenModule<VpxModule>("vpx", "VP8/VP9").catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}
