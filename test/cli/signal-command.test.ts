import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { SignalingClient, type IncomingCall } from "../../src/signaling/signaling-client.js";
import { runCli } from "./run-cli.js";

const REPO = resolve(import.meta.dirname, "../..");

/** Runs the CLI in-process and captures what it writes. */
const run = runCli;

describe("rtcpipe signal", () => {
  it("--help exits 0 and documents the options and exit codes", async () => {
    const r = await run(["signal", "--help"]);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.out).toMatch(/--cluster <redis-url>/);
    expect(r.out).toMatch(/Exit codes/);
  });

  it("bad options fail fast with exit 2 and say what is allowed", async () => {
    const cases: [string[], RegExp][] = [
      [["signal"], /required option '--port <n>' not specified/],
      [["signal", "--port", "70000"], /--port "70000".*integer from 0 to 65535/],
      [["signal", "--port", "x"], /--port "x".*integer from 0 to 65535/],
      [["signal", "--port", "0", "--host", "example.org"], /--host "example.org".*IPv4 or IPv6 address/],
      [["signal", "--port", "0", "--cluster", "http://127.0.0.1:6379"], /--cluster "http:\/\/127.0.0.1:6379".*redis:\/\/127.0.0.1:6379/],
      [["signal", "--port", "0", "--node-ttl", "5"], /--node-ttl "5".*100 to 3600000/],
      [["signal", "--port", "0", "--rate-limit", "0"], /--rate-limit "0".*1 to 1000000/],
      [["signal", "--port", "0", "--node-id", "a b"], /--node-id "a b".*allowed is 1-64/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(ExitCode.USAGE);
      expect(r.err, args.join(" ")).toMatch(message);
    }
  });

  it("a Redis that is not there: exit 1 naming it", async () => {
    const r = await run(["signal", "--port", "0", "--cluster", "redis://127.0.0.1:1"]);
    expect(r.code).toBe(ExitCode.FAILED);
    expect(r.err).toMatch(/Cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/);
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`spawned with --port 0: prints its address, relays a call, and shuts down cleanly on ${signal}`, async () => {
      const proc = spawn(process.execPath, ["--import", "tsx", join(REPO, "bin/rtcpipe-dev.ts"), "signal", "--port", "0"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
      proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no address printed: ${out} ${err}`)), 30_000);
          proc.stdout.on("data", () => {
            const m = /listening on (ws:\/\/127\.0\.0\.1:\d+)/.exec(out);
            if (m) {
              clearTimeout(timer);
              resolve(m[1]!);
            }
          });
        });
        const alice = await SignalingClient.connect(url);
        const bob = await SignalingClient.connect(url);
        await alice.register("alice");
        await bob.register("bob");
        const offer = new Promise<IncomingCall>((r) => bob.once("offer", r));
        await alice.offer("bob", "call-cli-0001", "hello");
        expect((await offer).payload).toBe("hello");
        const closed = new Promise<number>((r) => alice.once("close", (code) => r(code)));
        proc.kill(signal);
        expect(await exited).toBe(0);
        expect(await closed).toBe(1001); // going away
        expect(out).toMatch(new RegExp(`${signal}, closed; 2 connections served, 1 messages relayed, 0 errors sent`));
        expect(err).toBe("");
      } finally {
        proc.kill("SIGKILL");
      }
    });
  }
});
