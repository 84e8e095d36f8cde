import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { BadFileError } from "../../src/errors.js";
import { createVideoFrame } from "../../src/media/video-frame.js";
import { formatY4mHeader, parseY4mHeader } from "../../src/media/y4m-header.js";
import { Y4mReader } from "../../src/media/y4m-reader.js";
import { Y4mWriter } from "../../src/media/y4m-writer.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

const dir = mkdtempSync(join(tmpdir(), "rtcpipe-y4m-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("parseY4mHeader", () => {
  it.each([
    ["YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n", 640, 480, 30, 1, "420jpeg"],
    ["YUV4MPEG2 W320 H240 F30000:1001 It C420paldv\n", 320, 240, 30000, 1001, "420paldv"],
    ["YUV4MPEG2 W176 H144 F25:1 C420mpeg2\n", 176, 144, 25, 1, "420mpeg2"],
    ["YUV4MPEG2 W176 H144 F25:1 C420\n", 176, 144, 25, 1, "420"],
    ["YUV4MPEG2 W2 H2 F1:1\n", 2, 2, 1, 1, "420jpeg"],
  ])("parses %j", (line, w, h, num, den, cs) => {
    const hdr = parseY4mHeader(enc(line + "FRAME\n"));
    expect(hdr).toMatchObject({ width: w, height: h, fpsNum: num, fpsDen: den, colorspace: cs, headerBytes: line.length });
  });

  it.each([
    ["YUV4MPEG W640 H480 F30:1\n", "does not start"],
    ["YUV4MPEG2 W640 H480 F30:1 C444\n", "C444 is not supported"],
    ["YUV4MPEG2 W640 H480 F30:1 Cmono\n", "not supported"],
    ["YUV4MPEG2 H480 F30:1\n", "no width"],
    ["YUV4MPEG2 W640 F30:1\n", "no height"],
    ["YUV4MPEG2 W640 H480\n", "no frame rate"],
    ["YUV4MPEG2 W640 H480 F30:0\n", "zero"],
    ["YUV4MPEG2 W640 H480 F30\n", "not N:D"],
    ["YUV4MPEG2 W99999 H480 F30:1\n", "outside"],
    ["YUV4MPEG2 W640 H480 F30:1", "truncated"],
    ["YUV4MPEG2 W640 H480 F30:1 Q5\n", "unknown header tag"],
  ])("rejects %j with a BadFileError (%s)", (line, reason) => {
    expect(() => parseY4mHeader(enc(line))).toThrow(BadFileError);
    expect(() => parseY4mHeader(enc(line))).toThrow(new RegExp(`^Cannot read Y4M: .*${reason}`));
  });

  it("round-trips formatY4mHeader", () => {
    const h = parseY4mHeader(enc(formatY4mHeader({ width: 352, height: 288, fpsNum: 15, fpsDen: 2 })));
    expect(h).toMatchObject({ width: 352, height: 288, fpsNum: 15, fpsDen: 2, colorspace: "420jpeg", interlace: "p" });
  });

  it("fuzz: 10k random and mutated headers either parse sanely or throw BadFileError", () => {
    const valid = "YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n";
    const tokens = ["YUV4MPEG2", " ", "W", "H", "F", "C", "I", "A", "X", ":", "\n", "420", "420jpeg", "0", "1", "30", "99999999", "-1", "p"];
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc.array(fc.constantFrom(...tokens), { maxLength: 20 }).map((t) => enc(t.join(""))),
      fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
        const b = enc(valid);
        b[i] = v;
        return b;
      }),
    );
    fc.assert(
      fc.property(arb, (bytes) => {
        try {
          const h = parseY4mHeader(bytes);
          expect(h.width).toBeGreaterThanOrEqual(2);
          expect(h.height).toBeGreaterThanOrEqual(2);
          expect(h.fpsNum).toBeGreaterThan(0);
          expect(h.fpsDen).toBeGreaterThan(0);
          expect(h.headerBytes).toBeLessThanOrEqual(bytes.length);
        } catch (err) {
          if (!(err instanceof BadFileError)) throw err;
          expect(err.message).toMatch(/^Cannot read Y4M: /);
        }
      }),
      { numRuns: 10_000, seed: 42 },
    );
  });
});

describe("Y4mReader / Y4mWriter", () => {
  it("reads what ffmpeg writes, frame by frame, identical to ffmpeg's raw output", () => {
    const y4m = join(dir, "ff.y4m");
    const raw = join(dir, "ff.yuv");
    execFileSync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "5", "-pix_fmt", "yuv420p", y4m]);
    execFileSync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", y4m, "-f", "rawvideo", raw]);
    const rawBytes = readFileSync(raw);
    const r = new Y4mReader(y4m);
    expect(r.width).toBe(64);
    expect(r.fps).toBe(25);
    expect(r.frameCount).toBe(5);
    const fsize = 64 * 48 * 1.5;
    for (let i = 0; i < 5; i++) {
      const f = r.next()!;
      expect(f.frameIndex).toBe(i);
      expect(f.captureTimeUs).toBe(i * 40_000);
      expect(Buffer.from(f.y.buffer, f.y.byteOffset, fsize).equals(rawBytes.subarray(i * fsize, (i + 1) * fsize))).toBe(true);
    }
    expect(r.next()).toBeUndefined();
    expect(Array.from(r.frameAt(3)!.u)).toEqual(Array.from(rawBytes.subarray(3 * fsize + 64 * 48, 3 * fsize + 64 * 48 + 32 * 24)));
    r.close();
  });

  it("writes strided frames packed and round-trips; loop wraps; odd sizes work", () => {
    const rnd = new SeededRandom(7);
    const path = join(dir, "rt.y4m");
    const w = new Y4mWriter(path, { width: 33, height: 17, fpsNum: 30000, fpsDen: 1001 });
    const frames = [];
    for (let i = 0; i < 3; i++) {
      const f = createVideoFrame(33, 17);
      rnd.fill(f.y); rnd.fill(f.u); rnd.fill(f.v);
      frames.push(f);
      // Same content with wider strides.
      const sy = 40, sc = 20;
      const strided = { ...f, y: new Uint8Array(sy * 17), u: new Uint8Array(sc * 9), v: new Uint8Array(sc * 9), strideY: sy, strideU: sc, strideV: sc };
      for (let y = 0; y < 17; y++) strided.y.set(f.y.subarray(y * 33, y * 33 + 33), y * sy);
      for (let y = 0; y < 9; y++) {
        strided.u.set(f.u.subarray(y * 17, y * 17 + 17), y * sc);
        strided.v.set(f.v.subarray(y * 17, y * 17 + 17), y * sc);
      }
      w.write(i % 2 === 0 ? f : strided);
    }
    w.close();
    const r = new Y4mReader(path, { loop: true });
    expect(r.frameDurationUs).toBeCloseTo(33366.67, 1);
    for (let i = 0; i < 7; i++) {
      const f = r.next()!;
      expect(f.y).toEqual(frames[i % 3]!.y);
      expect(f.v).toEqual(frames[i % 3]!.v);
    }
    r.close();
  });

  it("handles FRAME lines with parameters by scanning", () => {
    const path = join(dir, "params.y4m");
    const fsize = 4 * 2 * 1.5;
    const parts = [enc("YUV4MPEG2 W4 H2 F10:1\n")];
    for (let i = 0; i < 3; i++) parts.push(enc(i === 1 ? "FRAME Ixyz\n" : "FRAME\n"), new Uint8Array(fsize).fill(i + 1));
    writeFileSync(path, Buffer.concat(parts));
    const r = new Y4mReader(path);
    expect(r.frameAt(2)!.y[0]).toBe(3);
    expect(r.frameAt(1)!.y[0]).toBe(2);
    expect(r.next()!.y[0]).toBe(1);
    r.close();
  });

  it.each([
    ["not y4m", enc("RIFF....WAVEfmt "), "does not start"],
    ["truncated frame", Buffer.concat([enc("YUV4MPEG2 W4 H2 F10:1\nFRAME\n"), new Uint8Array(5)]), "truncated"],
    ["garbage instead of FRAME", Buffer.concat([enc("YUV4MPEG2 W4 H2 F10:1\nFRAMX\n"), new Uint8Array(12)]), "expected \"FRAME\""],
  ])("rejects a malformed file: %s", (_name, bytes, reason) => {
    const path = join(dir, "bad.y4m");
    writeFileSync(path, bytes);
    expect(() => {
      const r = new Y4mReader(path);
      try {
        r.next();
      } finally {
        r.close();
      }
    }).toThrow(new RegExp(`Cannot read Y4M: .*${reason}`));
  });

  it("rejects a missing file with BadFileError", () => {
    expect(() => new Y4mReader(join(dir, "nope.y4m"))).toThrow(BadFileError);
  });
});
