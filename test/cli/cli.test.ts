import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { runCli } from "./run-cli.js";

/** Runs the CLI in-process and captures what it writes. */
const run = runCli;

describe("rtcpipe CLI", () => {
  it("--help on every command exits 0 and documents the exit codes", async () => {
    for (const args of [["--help"], ["call", "--help"], ["send", "--help"], ["receive", "--help"]]) {
      const r = await run(args);
      expect(r.code).toBe(ExitCode.OK);
      expect(r.out).toMatch(/Exit codes/);
    }
  });

  it("bad options fail fast with exit 2 and say what is allowed", async () => {
    const cases: [string[], RegExp][] = [
      [["call", "--size", "641x480"], /--size "641x480".*even numbers/],
      [["call", "--bitrate", "fast"], /--bitrate "fast".*800k/],
      [["call", "--loss", "150"], /--loss "150".*0 to 100/],
      [["call", "--video", "h264"], /Allowed choices are vp8, vp9, none/],
      [["call", "--burst", "3"], /--burst without --loss/],
      [["call", "--temporal-layers", "3"], /Allowed choices are auto, 1, 2/],
      [["send", "--to", "127.0.0.1:5004", "--temporal-layers", "0"], /Allowed choices are 1, 2/],
      [["call", "--frobnicate"], /unknown option/],
      [["dance"], /unknown command/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(ExitCode.USAGE);
      expect(r.err, args.join(" ")).toMatch(message);
    }
  });

  it("a missing trace file exits 3 with the file named", async () => {
    const r = await run(["call", "--duration", "1", "--loss-trace", "/nonexistent/trace.txt", "--no-progress"]);
    expect(r.code).toBe(ExitCode.MISSING);
    expect(r.err).toMatch(/\/nonexistent\/trace\.txt/);
  });

  it("call writes report.json with the fields the issue names, and a self-contained report.html", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rtcpipe-cli-"));
    const r = await run(["call", "--duration", "2", "--size", "160x120", "--bitrate", "150k", "--delay", "30", "--loss", "5", "--out", dir]);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.err).toMatch(/t=\s+1\/2 s/); // progress
    expect(r.out).toMatch(/latency p50\/p95\/p99/);
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
    for (const kind of ["video", "audio"]) {
      expect(report[kind].framesSent).toBeGreaterThan(0);
      expect(report[kind].framesDecoded).toBeGreaterThan(0);
      expect(report[kind].latencyMs.p99).toBeGreaterThanOrEqual(report[kind].latencyMs.p50);
      expect(report[kind].packets.sent).toBeGreaterThan(0);
      expect(report[kind].packets).toHaveProperty("lostOnWire");
      expect(report[kind].packets).toHaveProperty("lostAfterRecovery");
      expect(report[kind].bitrateKbps).toBeGreaterThan(0);
    }
    expect(report.video.psnrDb.mean).toBeGreaterThan(10);
    expect(report.video.psnrDb).toHaveProperty("p5");
    expect(report.video.freeze).toHaveProperty("totalMs");
    expect(report.audio).toHaveProperty("concealedPct");
    expect(report.timeline.t).toEqual([1, 2]);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toMatch(/uPlot/);
    expect(html).not.toMatch(/<script[^>]+src=/); // nothing fetched: self-contained
  });

  it("--json prints the report to stdout", async () => {
    const r = await run(["call", "--duration", "1", "--size", "160x120", "--video", "vp9", "--json", "--no-progress"]);
    expect(r.code).toBe(ExitCode.OK);
    expect(JSON.parse(r.out).video.codec).toBe("vp9");
  });
});
