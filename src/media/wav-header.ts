import { BadFileError } from "../errors.js";

/** What a RIFF/WAVE header says about its PCM data. */
export interface WavHeader {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 1 (PCM) or 0xFFFE (WAVE_FORMAT_EXTENSIBLE with the PCM subformat). */
  formatTag: number;
  /** Bytes per sample frame (all channels). */
  blockAlign: number;
  /** Byte offset of the first sample in the file. */
  dataOffset: number;
  /** Bytes of sample data (from the data chunk, or to the end of file for streamed files). */
  dataBytes: number;
}

const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Parses a RIFF/WAVE header from the first bytes of a file (`bytes` must reach the start of
 * the data chunk; `fileBytes` is the whole file's size, for streamed files whose data size is
 * 0 or 0xFFFFFFFF). Only 16-bit integer PCM is accepted. Throws BadFileError
 * "Cannot read WAV: reason".
 */
export function parseWavHeader(bytes: Uint8Array, fileBytes = bytes.length): WavHeader {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12) throw bad(`the file is ${bytes.length} bytes, too short for a RIFF header`);
  if (fourcc(bytes, 0) !== "RIFF") throw bad(`it does not start with "RIFF" (found ${JSON.stringify(fourcc(bytes, 0))})`);
  if (fourcc(bytes, 8) !== "WAVE") throw bad(`the RIFF form is ${JSON.stringify(fourcc(bytes, 8))}, not "WAVE"`);
  let pos = 12;
  let fmt: Omit<WavHeader, "dataOffset" | "dataBytes"> | undefined;
  for (;;) {
    if (pos + 8 > bytes.length) {
      throw bad(fmt ? "no data chunk found (header truncated)" : "no fmt chunk found (header truncated)");
    }
    const id = fourcc(bytes, pos);
    const size = dv.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === "fmt ") {
      if (size < 16) throw bad(`the fmt chunk is ${size} bytes, needs at least 16`);
      if (body + 16 > bytes.length) throw bad("the fmt chunk is truncated");
      let formatTag = dv.getUint16(body, true);
      const channels = dv.getUint16(body + 2, true);
      const sampleRate = dv.getUint32(body + 4, true);
      const blockAlign = dv.getUint16(body + 12, true);
      const bitsPerSample = dv.getUint16(body + 14, true);
      if (formatTag === FORMAT_EXTENSIBLE) {
        if (size < 40 || body + 26 > bytes.length) throw bad("the WAVE_FORMAT_EXTENSIBLE fmt chunk is truncated");
        const sub = dv.getUint16(body + 24, true);
        if (sub !== FORMAT_PCM) throw bad(`the extensible subformat is ${sub}, not PCM (1)`);
      } else if (formatTag !== FORMAT_PCM) {
        throw bad(`format tag ${formatTag} is not integer PCM (1); convert with \`sox in.wav -e signed-integer -b 16 out.wav\``);
      }
      if (bitsPerSample !== 16) throw bad(`it has ${bitsPerSample}-bit samples, only 16-bit is supported; convert with \`sox in.wav -b 16 out.wav\``);
      if (channels < 1 || channels > 32) throw bad(`channel count ${channels} is outside 1..32`);
      if (sampleRate < 1000 || sampleRate > 384_000) throw bad(`sample rate ${sampleRate} Hz is outside 1000..384000`);
      if (blockAlign !== channels * 2) throw bad(`block align ${blockAlign} does not equal channels·2 = ${channels * 2}`);
      fmt = { sampleRate, channels, bitsPerSample, formatTag, blockAlign };
    } else if (id === "data") {
      if (!fmt) throw bad("the data chunk comes before the fmt chunk");
      const available = Math.max(0, fileBytes - body);
      let dataBytes = size === 0 || size === 0xffffffff || size > available ? available : size;
      dataBytes -= dataBytes % fmt.blockAlign;
      return { ...fmt, dataOffset: body, dataBytes };
    }
    if (!/^[\x20-\x7e]{4}$/.test(id)) throw bad(`chunk id at byte ${pos} is not ASCII`);
    pos = body + size + (size & 1);
    if (pos > fileBytes) throw bad(`chunk "${id}" runs past the end of the file`);
  }
}

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0);
}

function bad(reason: string): BadFileError {
  return new BadFileError(`Cannot read WAV: ${reason}`);
}
