/**
 * Starts a real coturn (`turnserver`) for the TURN tests, with the flags of
 * /work/shared/interop/turn.sh, on a free 127.0.0.1 port and a temp dir. Without turnserver:
 * fails when env CI is set, otherwise the suite skips with an install hint.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stunBindingRequest } from "../../src/stun/stun-binding-udp.js";

/** True when `cmd` is on PATH. */
export function hasTool(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Whether coturn can run here: throws in CI when missing, warns and returns false elsewhere. */
export function coturnAvailable(suite: string): boolean {
  const missing = ["turnserver", "turnutils_stunclient"].filter((t) => !hasTool(t));
  if (missing.length === 0) return true;
  const msg = `${suite}: missing ${missing.join(", ")}; install coturn with ./scripts/install-deps.sh (or \`sudo apt-get install --no-install-recommends coturn\`)`;
  if (process.env["CI"]) throw new Error(`${msg} (CI is set, so this fails instead of skipping)`);
  console.warn(`SKIPPED ${msg}`);
  return false;
}

/** A free UDP port on 127.0.0.1 (bound, read, released). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((res) => s.bind(0, "127.0.0.1", res));
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

/** A running coturn. */
export interface Coturn {
  port: number;
  username: string;
  password: string;
  realm: string;
  /** Relay port range given to --min-port/--max-port. */
  minPort: number;
  maxPort: number;
  log(): string;
  stop(): Promise<void>;
}

/** Options of startCoturn. */
export interface CoturnOptions {
  username?: string;
  password?: string;
  realm?: string;
  /** Extra --listening-ip values (127.0.0.1 is always one), e.g. ["::1"]. */
  extraListeningIps?: string[];
  /** Extra flags, e.g. ["--user-quota=1"]. */
  extraArgs?: string[];
}

/** Spawns turnserver and waits until it answers a STUN Binding request (at most 10 s). */
export async function startCoturn(options: CoturnOptions = {}): Promise<Coturn> {
  const username = options.username ?? "test";
  const password = options.password ?? "secret";
  const realm = options.realm ?? "interop.test";
  const dir = mkdtempSync(join(tmpdir(), "rtcpipe-coturn-"));
  const port = await freeUdpPort();
  // A relay range of its own (other suites may run coturn at the same time).
  const minPort = 50000 + ((port * 7) % 150) * 64;
  const maxPort = minPort + 63;
  const args = [
    "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", `--listening-port=${port}`,
    `--min-port=${minPort}`, `--max-port=${maxPort}`, "--lt-cred-mech", `--user=${username}:${password}`, `--realm=${realm}`,
    "--fingerprint", "--no-tls", "--no-dtls", "--no-cli", "--no-rfc5780",
    "--allow-loopback-peers", "--allowed-peer-ip=127.0.0.1", "--denied-peer-ip=0.0.0.0-255.255.255.255",
    ...(options.extraListeningIps ?? []).map((ip) => `--listening-ip=${ip}`),
    `--userdb=${join(dir, "turndb")}`, `--pidfile=${join(dir, "turn.pid")}`, "--log-file=stdout", "--simple-log", "-v",
    ...(options.extraArgs ?? []),
  ];
  const proc: ChildProcess = spawn("turnserver", args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((res) => proc.once("exit", () => res()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`turnserver exited with ${proc.exitCode}:\n${log}`);
    }
    try {
      await stunBindingRequest({ address: "127.0.0.1", port }, { rtoMs: 50, maxTransmits: 2, lastWaitRto: 2 });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`turnserver did not answer on 127.0.0.1:${port} within 10 s:\n${log}`);
      }
    }
  }
  return { port, username, password, realm, minPort, maxPort, log: () => log, stop };
}
