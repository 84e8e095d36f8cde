import { closeSync, openSync, writeSync } from "node:fs";
import { BadFileError, InvalidOptionError, RtcpipeError, checkInt } from "../errors.js";
import type { AudioFrame } from "./audio-frame.js";

export interface WavWriterOptions {
  channels: 1 | 2;
  /** Default 48000 (the media path's rate). */
  sampleRate?: number;
}

const HEADER_BYTES = 44;

/**
 * Writes 16-bit PCM WAV. Sizes in the RIFF and data chunk headers are written as 0 first and
 * fixed up on `close()`, so an interrupted file is still readable (readers treat 0 as "to the
 * end of file").
 */
export class WavWriter {
  readonly path: string;
  readonly channels: 1 | 2;
  readonly sampleRate: number;
  private fd: number | null;
  private dataBytes = 0;

  constructor(path: string, options: WavWriterOptions) {
    this.path = path;
    this.channels = checkInt("channels", options.channels, 1, 2) as 1 | 2;
    this.sampleRate = checkInt("sampleRate", options.sampleRate ?? 48_000, 1000, 384_000);
    try {
      this.fd = openSync(path, "w");
    } catch (err) {
      throw new BadFileError(`Cannot write WAV: cannot open ${path} (${(err as Error).message})`);
    }
    writeSync(this.fd, this.header(0));
  }

  get samplesWritten(): number {
    return this.dataBytes / (2 * this.channels);
  }

  /** Appends one audio frame; its channel count must match. */
  write(frame: AudioFrame): void {
    if (frame.channels !== this.channels) {
      throw new InvalidOptionError(`Cannot write a ${frame.channels}-channel frame: the WAV file has ${this.channels}`);
    }
    this.writeSamples(frame.samples);
  }

  /** Appends interleaved samples. */
  writeSamples(samples: Int16Array): void {
    if (this.fd === null) throw new RtcpipeError("ERR_CLOSED", `Cannot write WAV: ${this.path} is closed`);
    const bytes = new Uint8Array(samples.length * 2);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < samples.length; i++) dv.setInt16(2 * i, samples[i]!, true);
    writeSync(this.fd, bytes);
    this.dataBytes += bytes.length;
  }

  /** Fixes up the RIFF and data sizes and closes the file. Idempotent. */
  close(): void {
    if (this.fd === null) return;
    writeSync(this.fd, this.header(this.dataBytes), 0, HEADER_BYTES, 0);
    closeSync(this.fd);
    this.fd = null;
  }

  private header(dataBytes: number): Uint8Array {
    const b = new Uint8Array(HEADER_BYTES);
    const dv = new DataView(b.buffer);
    const ascii = (at: number, s: string): void => {
      for (let i = 0; i < 4; i++) b[at + i] = s.charCodeAt(i);
    };
    ascii(0, "RIFF");
    dv.setUint32(4, 36 + dataBytes, true);
    ascii(8, "WAVE");
    ascii(12, "fmt ");
    dv.setUint32(16, 16, true);
    dv.setUint16(20, 1, true);
    dv.setUint16(22, this.channels, true);
    dv.setUint32(24, this.sampleRate, true);
    dv.setUint32(28, this.sampleRate * this.channels * 2, true);
    dv.setUint16(32, this.channels * 2, true);
    dv.setUint16(34, 16, true);
    ascii(36, "data");
    dv.setUint32(40, dataBytes, true);
    return b;
  }
}
