/**
 * Starts a throwaway Debian `redis-server` for the cluster tests: a free port, no
 * persistence, a temp dir. Missing redis-server fails the suite when CI is set and skips it
 * with an install hint otherwise (as test/interop/interop-harness.ts does for GStreamer).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether redis-server is there; throws in CI when it is not. */
export function redisAvailable(suite: string): boolean {
  if (spawnSync("sh", ["-c", "command -v redis-server"], { stdio: "ignore" }).status === 0) return true;
  const msg = `${suite}: missing redis-server; install it with ./scripts/install-deps.sh (Debian package redis-server)`;
  if (process.env["CI"]) throw new Error(`${msg} (CI is set, so this fails instead of skipping)`);
  console.warn(`SKIPPED ${msg}`);
  return false;
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** A running redis-server. */
export interface RedisUnderTest {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `redis-server --port <free> --save '' --appendonly no` in a temp dir and waits until it accepts connections. */
export async function startRedis(): Promise<RedisUnderTest> {
  const port = await freeTcpPort();
  const dir = mkdtempSync(join(tmpdir(), "rtcpipe-redis-"));
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s: ${log}`)), 10_000);
    proc.stdout!.on("data", (d: Buffer) => {
      log += d.toString();
      if (/Ready to accept connections/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${String(code)}: ${log}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    proc,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((resolve) => proc.once("exit", resolve));
        proc.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
