/**
 * Helpers of the tests that run `rtcpipe call` as real processes: an identity file per name in
 * a folder, and the CLI from the sources (bin/rtcpipe-dev.ts via tsx) with its output captured.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { IdentityKeyPair } from "../../src/e2ee/identity-key-pair.js";
import { saveIdentityFile } from "../../src/e2ee/identity-file.js";

export const REPO = join(import.meta.dirname, "../..");

/** `--identity` and `--known-peers` flags for `name`, creating its identity file once. */
export function identityFlags(dir: string, name: string): string[] {
  const path = join(dir, `${name}.id`);
  if (!existsSync(path)) saveIdentityFile(path, IdentityKeyPair.generate(), Date.now());
  return ["--identity", path, "--known-peers", join(dir, `${name}.peers.json`)];
}

/** Runs `rtcpipe call ARGS` (killed after 60 s) and resolves with its exit code and output. */
export function runCallProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", join(REPO, "bin/rtcpipe-dev.ts"), "call", ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
