import { BadFileError } from "../errors.js";

/** The 4:2:0 colourspace tags of YUV4MPEG2; all share the I420 memory layout. */
export type Y4mColorspace = "420" | "420jpeg" | "420paldv" | "420mpeg2";
const COLORSPACES: readonly string[] = ["420", "420jpeg", "420paldv", "420mpeg2"];

/** The stream header of a YUV4MPEG2 file ("YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg"). */
export interface Y4mHeader {
  width: number;
  height: number;
  fpsNum: number;
  fpsDen: number;
  colorspace: Y4mColorspace;
  /** The I tag as written (p, t, b, m, ?); ignored for reading. */
  interlace: string;
  /** The A tag as written, e.g. "1:1", or "0:0" when absent. */
  aspect: string;
  /** Bytes of the header line including its newline: where the first FRAME starts. */
  headerBytes: number;
}

/** Longest header line accepted; real ones are under 100 bytes. */
export const Y4M_MAX_HEADER_BYTES = 1024;
const MAGIC = "YUV4MPEG2";

/**
 * Parses the header line at the start of `bytes` (which must contain the whole line).
 * Throws BadFileError "Cannot read Y4M: reason" for anything but 8-bit 4:2:0.
 */
export function parseY4mHeader(bytes: Uint8Array): Y4mHeader {
  const limit = Math.min(bytes.length, Y4M_MAX_HEADER_BYTES);
  const prefix = MAGIC + " ";
  for (let i = 0; i < Math.min(prefix.length, bytes.length); i++) {
    if (bytes[i] !== prefix.charCodeAt(i) && !(i === MAGIC.length && bytes[i] === 0x0a)) {
      throw bad(`it does not start with "${MAGIC} " (found ${JSON.stringify(String.fromCharCode(...bytes.subarray(0, 12)))})`);
    }
  }
  let nl = -1;
  for (let i = 0; i < limit; i++) {
    if (bytes[i] === 0x0a) {
      nl = i;
      break;
    }
  }
  if (nl < 0) throw bad(bytes.length < Y4M_MAX_HEADER_BYTES ? "the header line is truncated (no newline)" : `no header line within ${Y4M_MAX_HEADER_BYTES} bytes`);
  let line = "";
  for (let i = 0; i < nl; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e) throw bad(`the header has a non-ASCII byte 0x${c.toString(16)} at offset ${i}`);
    line += String.fromCharCode(c);
  }
  const tokens = line.split(" ");
  if (tokens[0] !== MAGIC) throw bad(`it does not start with "${MAGIC} " (found ${JSON.stringify(line.slice(0, 12))})`);
  let width = 0, height = 0, fpsNum = 0, fpsDen = 0;
  let colorspace: Y4mColorspace = "420jpeg", interlace = "?", aspect = "0:0";
  for (const tok of tokens.slice(1)) {
    if (tok === "") continue;
    const tag = tok[0]!, val = tok.slice(1);
    switch (tag) {
      case "W": width = positiveInt("width W", val, 16384); break;
      case "H": height = positiveInt("height H", val, 16384); break;
      case "F": {
        const m = /^(\d{1,9}):(\d{1,9})$/.exec(val);
        if (!m) throw bad(`frame rate F${val} is not N:D`);
        fpsNum = Number(m[1]);
        fpsDen = Number(m[2]);
        if (fpsNum === 0 || fpsDen === 0) throw bad(`frame rate F${val} has a zero`);
        break;
      }
      case "C":
        if (!COLORSPACES.includes(val)) {
          throw bad(`colourspace C${val} is not supported: allowed is C420, C420jpeg, C420paldv, C420mpeg2 (convert with \`ffmpeg -i in.y4m -pix_fmt yuv420p out.y4m\`)`);
        }
        colorspace = val as Y4mColorspace;
        break;
      case "I": interlace = val; break;
      case "A": aspect = val; break;
      case "X": break; // vendor extension, e.g. XYSCSS=420JPEG
      default: throw bad(`unknown header tag ${JSON.stringify(tok.slice(0, 16))}`);
    }
  }
  if (width === 0) throw bad("the header has no width (W)");
  if (height === 0) throw bad("the header has no height (H)");
  if (fpsNum === 0) throw bad("the header has no frame rate (F)");
  return { width, height, fpsNum, fpsDen, colorspace, interlace, aspect, headerBytes: nl + 1 };
}

/** The header line for a stream (with trailing newline). */
export function formatY4mHeader(h: Pick<Y4mHeader, "width" | "height" | "fpsNum" | "fpsDen"> & Partial<Y4mHeader>): string {
  const c = h.colorspace ?? "420jpeg";
  const x = c === "420jpeg" ? " XYSCSS=420JPEG" : "";
  return `${MAGIC} W${h.width} H${h.height} F${h.fpsNum}:${h.fpsDen} I${h.interlace ?? "p"} A${h.aspect ?? "1:1"} C${c}${x}\n`;
}

function positiveInt(what: string, val: string, max: number): number {
  if (!/^\d{1,6}$/.test(val)) throw bad(`${what}=${JSON.stringify(val)} is not a number`);
  const n = Number(val);
  if (n < 2 || n > max) throw bad(`${what}=${n} is outside 2..${max}`);
  return n;
}

function bad(reason: string): BadFileError {
  return new BadFileError(`Cannot read Y4M: ${reason}`);
}
