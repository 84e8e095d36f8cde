import { loadEmscriptenModule, type EmscriptenModuleBase } from "./codec-module-loader.js";

/** The raw C API of native/opus_wrapper.c (pointers are numbers into the module's heap). */
export interface OpusModule extends EmscriptenModuleBase {
  _rp_opus_last_error(): number;
  _rp_opus_enc_create(
    channels: number,
    application: number,
    bitrateBps: number,
    complexity: number,
    inbandFec: number,
    packetLossPct: number,
    dtx: number,
  ): number;
  _rp_opus_enc_destroy(enc: number): void;
  _rp_opus_enc_set(enc: number, what: number, value: number): number;
  _rp_opus_enc_input(enc: number): number;
  _rp_opus_enc_output(enc: number): number;
  _rp_opus_enc_encode(enc: number): number;
  _rp_opus_enc_lookahead(enc: number): number;
  _rp_opus_dec_create(channels: number): number;
  _rp_opus_dec_destroy(dec: number): void;
  _rp_opus_dec_input(dec: number): number;
  _rp_opus_dec_output(dec: number): number;
  _rp_opus_dec_decode(dec: number, len: number, mode: number): number;
  _rp_opus_dec_packet_samples(dec: number, len: number): number;
}

/** Numbers of the live settings of rp_opus_enc_set (native/opus_wrapper.c). @internal */
export const OPUS_SET = { bitrate: 1, complexity: 2, inbandFec: 3, packetLossPct: 4, dtx: 5 } as const;

/** Largest Opus packet the wrapper accepts (bytes). */
export const OPUS_MAX_PACKET_BYTES = 1500;

let cached: Promise<OpusModule> | undefined;

/**
 * Loads the Opus WASM module (libopus built by `npm run build:codecs`) once per process;
 * later calls return the same promise. Rejects with CodecError when the build is missing.
 */
export function loadOpus(): Promise<OpusModule> {
  cached ??= loadEmscriptenModule<OpusModule>("opus", "Opus").catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}
