import { InvalidOptionError, checkInt, checkRange } from "../errors.js";
import { SeededRandom } from "../util/seeded-random.js";
import { FrameSourceStage } from "./frame-source-stage.js";
import { createVideoFrame, type VideoFrame } from "./video-frame.js";

export interface TestPatternSourceOptions {
  /** Default 640. */
  width?: number;
  /** Default 480. */
  height?: number;
  /** Frames per second (default 30); sets captureTimeUs of `frameAt(i)`. */
  fps?: number;
  /** Seed of the text-like glyphs (default 1). */
  seed?: number;
}

/** Bits of the frame-index barcode in the top-left corner. */
const BARCODE_BITS = 24;

/** One scrolling region of a plane: a precomputed texture shown with a (dx, dy) wrap-around offset. */
interface Band {
  rowStart: number;
  rows: number;
  texture: Uint8Array;
  /** Pixels per frame. */
  vx: number;
  vy: number;
}

/**
 * A moving test pattern with detail, deterministic per frame index:
 * - top band: a zone plate (rings up to ~0.35 cycles/pixel) over a diagonal gradient and a
 *   chroma colour field, scrolling diagonally 3 px/frame right, 1 px/frame down;
 * - middle strip: a checkerboard scrolling left 1 px/frame;
 * - bottom band: seeded "text" (glyph-like bitmaps in lines) scrolling left 2 px/frame;
 * - a coloured box with internal gradient and sharp edges moving on a Lissajous path;
 * - top-left: the frame index as a 24-bit barcode (readable back with `readFrameIndex`,
 *   even after lossy coding) and as digits.
 * Textures are precomputed in the constructor; a frame is row copies plus the small overlays
 * (well under 1 ms at 640x480). `frameAt(i)` returns identical bytes for the same i.
 */
export class TestPatternSource extends FrameSourceStage<VideoFrame> {
  readonly name = "test-pattern";
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly frameDurationUs: number;
  private readonly bandsY: Band[];
  private readonly bandsU: Band[];
  private readonly bandsV: Band[];
  private readonly cell: number;
  private nextIndex = 0;

  constructor(options: TestPatternSourceOptions = {}) {
    super();
    this.width = checkInt("width", options.width ?? 640, 48, 8192);
    this.height = checkInt("height", options.height ?? 480, 48, 8192);
    this.fps = checkRange("fps", options.fps ?? 30, 1, 240);
    this.frameDurationUs = 1e6 / this.fps;
    const seed = options.seed ?? 1;
    const w = this.width, h = this.height, cw = (w + 1) >> 1, ch = (h + 1) >> 1;
    this.cell = Math.max(2, Math.floor(w / (BARCODE_BITS + 8)) & ~1);
    if (this.cell * BARCODE_BITS > w) throw new InvalidOptionError(`Cannot make a test pattern ${w} wide: too narrow`);
    // Band boundaries in luma rows (even, so chroma rows line up).
    const b1 = Math.floor((h * 0.6) / 2) * 2;
    const b2 = b1 + Math.max(2, Math.floor((h * 0.1) / 2) * 2);
    this.bandsY = [
      { rowStart: 0, rows: b1, texture: zonePlate(w, b1), vx: 3, vy: 1 },
      { rowStart: b1, rows: b2 - b1, texture: checkerboard(w, b2 - b1, Math.max(4, w >> 5)), vx: -1, vy: 0 },
      { rowStart: b2, rows: h - b2, texture: textLines(w, h - b2, new SeededRandom(seed)), vx: -2, vy: 0 },
    ];
    const c1 = b1 >> 1, c2 = b2 >> 1;
    const flat = (n: number): Uint8Array => new Uint8Array(n).fill(128);
    this.bandsU = [
      { rowStart: 0, rows: c1, texture: colourField(cw, c1, 0), vx: 1.5, vy: 0.5 },
      { rowStart: c1, rows: c2 - c1, texture: flat(cw * (c2 - c1)), vx: 0, vy: 0 },
      { rowStart: c2, rows: ch - c2, texture: flat(cw * (ch - c2)), vx: 0, vy: 0 },
    ];
    this.bandsV = [
      { rowStart: 0, rows: c1, texture: colourField(cw, c1, 1), vx: 1.5, vy: 0.5 },
      { rowStart: c1, rows: c2 - c1, texture: flat(cw * (c2 - c1)), vx: 0, vy: 0 },
      { rowStart: c2, rows: ch - c2, texture: flat(cw * (ch - c2)), vx: 0, vy: 0 },
    ];
  }

  /** Frame `index` (>= 0). captureTimeUs = round(index · 1e6 / fps), frameIndex = index. */
  frameAt(index: number): VideoFrame {
    checkInt("frame index", index, 0, 2 ** BARCODE_BITS - 1);
    const w = this.width, h = this.height;
    const f = createVideoFrame(w, h, Math.round(index * this.frameDurationUs), index);
    drawBands(this.bandsY, f.y, f.strideY, w, index);
    drawBands(this.bandsU, f.u, f.strideU, (w + 1) >> 1, index);
    drawBands(this.bandsV, f.v, f.strideV, (w + 1) >> 1, index);
    this.drawBox(f, index);
    this.drawCounter(f, index);
    return f;
  }

  next(): VideoFrame {
    return this.frameAt(this.nextIndex++);
  }

  seek(index: number): void {
    this.nextIndex = Math.max(0, Math.floor(index));
  }

  /**
   * Reads the frame index back from the barcode of a (possibly decoded, lossy) frame of this
   * pattern's size, or -1 when the barcode is unreadable (a cell too close to mid-grey).
   */
  readFrameIndex(frame: VideoFrame): number {
    if (frame.width !== this.width || frame.height !== this.height) return -1;
    const c = this.cell;
    let value = 0;
    for (let bit = 0; bit < BARCODE_BITS; bit++) {
      let sum = 0;
      // Average the inner half of the cell, away from ringing at its edges.
      for (let y = c >> 2; y < c - (c >> 2); y++) {
        for (let x = c >> 2; x < c - (c >> 2); x++) sum += frame.y[y * frame.strideY + bit * c + x]!;
      }
      const n = (c - 2 * (c >> 2)) ** 2;
      const mean = sum / n;
      if (mean > 96 && mean < 160) return -1;
      if (mean >= 160) value |= 1 << (BARCODE_BITS - 1 - bit);
    }
    return value >>> 0;
  }

  private drawBox(f: VideoFrame, index: number): void {
    const w = this.width, h = this.height;
    const bw = Math.max(8, (w >> 3) & ~1), bh = Math.max(8, (h >> 3) & ~1);
    const t = index / this.fps;
    // Lissajous path over the whole frame.
    const x0 = Math.round(((w - bw) / 2) * (1 + Math.sin(t * 1.3))) & ~1;
    const y0 = Math.round(((h - bh) / 2) * (1 + Math.sin(t * 0.9 + 1))) & ~1;
    for (let y = 0; y < bh; y++) {
      const row = (y0 + y) * f.strideY + x0;
      for (let x = 0; x < bw; x++) {
        const edge = x < 2 || y < 2 || x >= bw - 2 || y >= bh - 2;
        f.y[row + x] = edge ? 235 : 60 + (((x + y) * 160) / (bw + bh)) | 0;
      }
    }
    for (let y = 0; y < bh >> 1; y++) {
      const ru = ((y0 >> 1) + y) * f.strideU + (x0 >> 1);
      const rv = ((y0 >> 1) + y) * f.strideV + (x0 >> 1);
      for (let x = 0; x < bw >> 1; x++) {
        f.u[ru + x] = 200;
        f.v[rv + x] = 40 + ((x * 150) / (bw >> 1)) | 0;
      }
    }
  }

  private drawCounter(f: VideoFrame, index: number): void {
    const c = this.cell;
    // Barcode: BARCODE_BITS cells of c x c, MSB first, white = 1, black = 0.
    for (let bit = 0; bit < BARCODE_BITS; bit++) {
      const v = (index >>> (BARCODE_BITS - 1 - bit)) & 1 ? 235 : 16;
      for (let y = 0; y < c; y++) f.y.fill(v, y * f.strideY + bit * c, y * f.strideY + bit * c + c);
    }
    for (let y = 0; y < c >> 1; y++) {
      f.u.fill(128, y * f.strideU, y * f.strideU + ((BARCODE_BITS * c) >> 1));
      f.v.fill(128, y * f.strideV, y * f.strideV + ((BARCODE_BITS * c) >> 1));
    }
    // Digits below the barcode (5x7 font scaled), black on white.
    const scale = Math.max(1, c >> 2);
    const text = String(index).padStart(6, "0");
    const top = c + scale, left = scale;
    const boxW = text.length * 6 * scale + scale, boxH = 9 * scale;
    if (top + boxH > this.height || left + boxW > this.width) return;
    for (let y = 0; y < boxH; y++) f.y.fill(235, (top + y - scale) * f.strideY + left - scale, (top + y - scale) * f.strideY + left - scale + boxW);
    for (let y = (top - scale) >> 1; y < (top - scale + boxH + 1) >> 1; y++) {
      const x0 = (left - scale) >> 1, x1 = (left - scale + boxW + 1) >> 1;
      f.u.fill(128, y * f.strideU + x0, y * f.strideU + x1);
      f.v.fill(128, y * f.strideV + x0, y * f.strideV + x1);
    }
    for (let k = 0; k < text.length; k++) {
      const glyph = DIGITS[text.charCodeAt(k) - 48]!;
      for (let gy = 0; gy < 7; gy++) {
        for (let gx = 0; gx < 5; gx++) {
          if (!((glyph[gy]! >> (4 - gx)) & 1)) continue;
          for (let sy = 0; sy < scale; sy++) {
            const row = (top + gy * scale + sy) * f.strideY + left + (k * 6 + gx) * scale;
            f.y.fill(16, row, row + scale);
          }
        }
      }
    }
  }
}

function drawBands(bands: Band[], plane: Uint8Array, stride: number, w: number, index: number): void {
  for (const b of bands) {
    const dx = mod(Math.floor(index * b.vx), w);
    const dy = mod(Math.floor(index * b.vy), b.rows);
    for (let r = 0; r < b.rows; r++) {
      const src = mod(r - dy, b.rows) * w;
      const dst = (b.rowStart + r) * stride;
      // Row shifted right by dx with wrap-around: two copies.
      plane.set(b.texture.subarray(src + w - dx, src + w), dst);
      plane.set(b.texture.subarray(src, src + w - dx), dst + dx);
    }
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Zone plate (circular chirp up to ~0.35 cycles/pixel) on a diagonal gradient, 16..235. */
function zonePlate(w: number, h: number): Uint8Array {
  const t = new Uint8Array(w * h);
  const cx = w / 2, cy = h / 2;
  const rmax2 = cx * cx + cy * cy;
  const k = (Math.PI * 0.35) / Math.sqrt(rmax2); // phase = k·r² → frequency k·r/π
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r2 = (x - cx) ** 2 + (y - cy) ** 2;
      const ramp = 40 + (120 * (x + y)) / (w + h);
      t[y * w + x] = Math.round(Math.min(235, Math.max(16, ramp + 70 * Math.cos(k * r2))));
    }
  }
  return t;
}

function checkerboard(w: number, h: number, size: number): Uint8Array {
  const t = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) t[y * w + x] = ((x / size) ^ (y / size)) & 1 ? 200 : 50;
  return t;
}

/** Lines of seeded 5x7 "glyphs" (random bitmaps) in 8x12 cells: dark on light, like text. */
function textLines(w: number, h: number, rnd: SeededRandom): Uint8Array {
  const t = new Uint8Array(w * h).fill(220);
  for (let ly = 2; ly + 12 <= h; ly += 14) {
    for (let lx = 0; lx + 8 <= w; lx += 8) {
      if (rnd.next() < 0.15) continue; // word gap
      for (let gy = 0; gy < 9; gy++) {
        const bits = rnd.nextUint32();
        for (let gx = 0; gx < 6; gx++) if ((bits >> gx) & 1 && (bits >> (gx + 8)) & 1) t[(ly + gy) * w + lx + 1 + gx] = 30;
      }
    }
  }
  return t;
}

/** Smooth colour field for U (which=0) or V (which=1). */
function colourField(w: number, h: number, which: 0 | 1): Uint8Array {
  const t = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const a = which === 0 ? Math.sin((2 * Math.PI * x) / w) : Math.cos((2 * Math.PI * (x + 2 * y)) / (w + h));
      t[y * w + x] = Math.round(128 + 45 * a);
    }
  }
  return t;
}

const DIGITS: readonly number[][] = [
  [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
  [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
  [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
  [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
  [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
  [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
];
