import { describe, expect, it } from "vitest";
import { loadOpus } from "../../src/codec/opus-module.js";
import { loadVpx } from "../../src/codec/vpx-module.js";

describe("codec module loading", () => {
  it("loads each module once and shares it", async () => {
    const [a, b] = await Promise.all([loadVpx(), loadVpx()]);
    expect(a).toBe(b);
    expect(await loadVpx()).toBe(a);
    const o = await loadOpus();
    expect(await loadOpus()).toBe(o);
    expect(typeof a._rp_vpx_enc_create).toBe("function");
  });

  it("says to run `npm run build:codecs` when the build is missing", async () => {
    const saved = process.env.RTCPIPE_CODECS_DIR;
    process.env.RTCPIPE_CODECS_DIR = "/nonexistent/rtcpipe-codecs";
    try {
      const { loadEmscriptenModule } = await import("../../src/codec/codec-module-loader.js");
      await expect(loadEmscriptenModule("vpx", "VP8/VP9")).rejects.toThrowError(/npm run build:codecs/);
    } finally {
      if (saved === undefined) delete process.env.RTCPIPE_CODECS_DIR;
      else process.env.RTCPIPE_CODECS_DIR = saved;
    }
  });
});
