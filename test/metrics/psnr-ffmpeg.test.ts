import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Y4mReader } from "../../src/media/y4m-reader.js";
import { PsnrAccumulator } from "../../src/metrics/psnr-accumulator.js";
import { psnr } from "../../src/metrics/psnr.js";
import { ssim } from "../../src/metrics/ssim.js";

// An independent judge: ffmpeg's psnr and ssim filters on the same pair of Y4M files.
// Source: testsrc2; degraded: the same clip through libvpx (VP8) at a low bitrate.
let dir = "";
let src = "";
let deg = "";

function ffmpeg(args: string[]): string {
  return execFileSync("ffmpeg", ["-hide_banner", "-nostdin", "-y", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function runFilter(filter: string): string {
  const r = execFileSync("sh", ["-c", `ffmpeg -hide_banner -nostdin -i '${deg}' -i '${src}' -lavfi ${filter} -f null - 2>&1`], { encoding: "utf8" });
  return r;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rtcpipe-psnr-"));
  src = join(dir, "src.y4m");
  deg = join(dir, "deg.y4m");
  const webm = join(dir, "deg.webm");
  ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-frames:v", "30", "-pix_fmt", "yuv420p", src]);
  ffmpeg(["-i", src, "-c:v", "libvpx", "-b:v", "150k", "-deadline", "realtime", "-cpu-used", "8", webm]);
  ffmpeg(["-i", webm, "-pix_fmt", "yuv420p", deg]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("PSNR and SSIM agree with ffmpeg's filters", () => {
  it("psnr: y and average within 0.05 dB of ffmpeg's summary", () => {
    const log = runFilter("psnr");
    const m = /PSNR y:([\d.]+) u:([\d.]+) v:([\d.]+) average:([\d.]+) min:([\d.]+) max:([\d.]+)/.exec(log);
    expect(m, log).not.toBeNull();
    const [ffY, ffU, ffV, ffAvg, ffMin, ffMax] = m!.slice(1).map(Number) as [number, number, number, number, number, number];
    const a = new Y4mReader(deg);
    const b = new Y4mReader(src);
    const acc = new PsnrAccumulator();
    for (;;) {
      const fa = a.next();
      const fb = b.next();
      if (!fa || !fb) break;
      acc.add(fa, fb);
    }
    a.close();
    b.close();
    const s = acc.summary();
    expect(s.frames).toBe(30);
    expect(Math.abs(s.y - ffY)).toBeLessThan(0.05);
    expect(Math.abs(s.u - ffU)).toBeLessThan(0.05);
    expect(Math.abs(s.v - ffV)).toBeLessThan(0.05);
    expect(Math.abs(s.average - ffAvg)).toBeLessThan(0.05);
    expect(Math.abs(s.min - ffMin)).toBeLessThan(0.05);
    expect(Math.abs(s.max - ffMax)).toBeLessThan(0.05);
    // The clip is really degraded (not a trivial pass).
    expect(s.y).toBeLessThan(40);
  });

  it("psnr: the WASM and TypeScript paths give identical numbers", () => {
    const a = new Y4mReader(deg);
    const b = new Y4mReader(src);
    const fa = a.frameAt(7)!, fb = b.frameAt(7)!;
    expect(psnr(fa, fb, { wasm: true })).toEqual(psnr(fa, fb, { wasm: false }));
    a.close();
    b.close();
  });

  it("ssim (8x8 windows, step 4): Y and All within 0.001 of ffmpeg's ssim filter", () => {
    const log = runFilter("ssim");
    const m = /SSIM Y:([\d.]+) \([\d.inf]+\) U:([\d.]+) \([\d.inf]+\) V:([\d.]+) \([\d.inf]+\) All:([\d.]+)/.exec(log);
    expect(m, log).not.toBeNull();
    const [ffY, , , ffAll] = m!.slice(1).map(Number) as [number, number, number, number];
    const a = new Y4mReader(deg);
    const b = new Y4mReader(src);
    let sy = 0, sall = 0, n = 0;
    for (;;) {
      const fa = a.next();
      const fb = b.next();
      if (!fa || !fb) break;
      const r = ssim(fa, fb);
      sy += r.y;
      sall += r.all;
      n++;
    }
    a.close();
    b.close();
    expect(Math.abs(sy / n - ffY)).toBeLessThan(0.001);
    expect(Math.abs(sall / n - ffAll)).toBeLessThan(0.001);
  });
});
