/**
 * Load on loopback: several hundred clients against a real `rtcpipe signal` process (so the
 * RSS and CPU figures are the server's alone), each registering and running a call set-up
 * with a partner: offer → answer, candidates both ways, hang-up. Asserts every message was
 * delivered; prints connect+register time, offer→answer round trip p50/p95, server RSS and
 * CPU. No timed assertions. The cluster variant splits the clients over two nodes on Redis,
 * every pair across nodes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { Percentiles } from "../../src/metrics/percentiles.js";
import { SignalingClient } from "../../src/signaling/signaling-client.js";
import { redisAvailable, startRedis, type RedisUnderTest } from "./redis-harness.js";
import { eventually } from "./signaling-test-helpers.js";

const REPO = resolve(import.meta.dirname, "../..");
const CLIENTS = 400;
const CANDIDATES = 4;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

interface Node {
  proc: ChildProcess;
  url: string;
}

async function startNode(extra: string[]): Promise<Node> {
  const proc = spawn(process.execPath, ["--import", "tsx", join(REPO, "bin/rtcpipe-dev.ts"), "signal", "--port", "0", "--json", ...extra], { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
  cleanup.push(async () => proc.kill("SIGKILL"));
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  await eventually(() => out.includes("\n"), 30_000, "rtcpipe signal to print its address");
  return { proc, url: (JSON.parse(out.split("\n")[0]!) as { url: string }).url };
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) / 1024;
}

/** User + system CPU seconds of a process so far (/proc/PID/stat fields 14 and 15, clock ticks of 100 Hz). */
function cpuS(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const ms = (x: number): string => x.toFixed(1);

async function loadRun(label: string, nodes: Node[]): Promise<void> {
  const pids = nodes.map((n) => n.proc.pid!);
  const idleRss = pids.map(rssMiB);
  const cpu0 = pids.map(cpuS);

  // Connect and register everyone at once.
  const joinMs = new Percentiles();
  const t0 = performance.now();
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const start = performance.now();
      const c = await SignalingClient.connect(nodes[i % nodes.length]!.url, { requestTimeoutMs: 30_000, connectTimeoutMs: 30_000 });
      cleanup.push(() => c.close());
      await c.register(`user-${i}`);
      joinMs.add(performance.now() - start);
      return c;
    }),
  );
  const allJoinedMs = performance.now() - t0;
  const connectedRss = pids.map(rssMiB);

  // Pairs (2k caller, 2k+1 callee): with two nodes every pair spans both.
  const got = { offers: 0, answers: 0, candidates: 0, hangUps: 0 };
  const sdp = `v=0\r\n${"a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n".repeat(16)}`; // ~1 KB
  for (let i = 0; i < CLIENTS; i++) {
    const c = clients[i]!;
    c.on("offer", (m) => {
      got.offers++;
      void c.answer(m.from, m.callId, `answer to ${m.payload!.length}`).then(async () => {
        for (let k = 0; k < CANDIDATES; k++) await c.candidate(m.from, m.callId, `callee-candidate-${k}`);
      });
    });
    c.on("answer", () => got.answers++);
    c.on("candidate", () => got.candidates++);
    c.on("hang-up", () => got.hangUps++);
  }
  const rttMs = new Percentiles();
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS / 2 }, async (_, k) => {
      const caller = clients[2 * k]!;
      const callee = `user-${2 * k + 1}`;
      const callId = `load-call-${k}`;
      const answered = new Promise<void>((r) => {
        const on = (m: { callId: string }): void => {
          if (m.callId !== callId) return;
          caller.off("answer", on);
          r();
        };
        caller.on("answer", on);
      });
      const start = performance.now();
      await caller.offer(callee, callId, sdp);
      await answered;
      rttMs.add(performance.now() - start);
      for (let j = 0; j < CANDIDATES; j++) await caller.candidate(callee, callId, `caller-candidate-${j}`);
    }),
  );
  await eventually(() => got.candidates === CLIENTS * CANDIDATES, 30_000, "every candidate delivered");
  await Promise.all(Array.from({ length: CLIENTS / 2 }, (_, k) => clients[2 * k]!.hangUp(`user-${2 * k + 1}`, `load-call-${k}`)));
  await eventually(() => got.hangUps === CLIENTS / 2, 30_000, "every hang-up delivered");
  const exchangeMs = performance.now() - t1;
  const loadedRss = pids.map(rssMiB);
  const cpu = pids.map((p, i) => cpuS(p) - cpu0[i]!);

  expect(got).toEqual({ offers: CLIENTS / 2, answers: CLIENTS / 2, candidates: CLIENTS * CANDIDATES, hangUps: CLIENTS / 2 });
  const messages = (CLIENTS / 2) * (3 + 2 * CANDIDATES);

  // Then one call at a time (100 pairs in turn): the round trip without the crowd.
  const oneRttMs = new Percentiles();
  for (let k = 0; k < 100; k++) {
    const caller = clients[2 * k]!;
    const callId = `quiet-call-${k}`;
    const answered = new Promise<void>((r) => caller.once("answer", () => r()));
    const start = performance.now();
    await caller.offer(`user-${2 * k + 1}`, callId, sdp);
    await answered;
    oneRttMs.add(performance.now() - start);
  }
  expect(got.answers).toBe(CLIENTS / 2 + 100);
  const q = oneRttMs.summary();
  const j = joinMs.summary();
  const r = rttMs.summary();
  console.log(
    [
      `signaling load (${label}): ${CLIENTS} clients, ${CLIENTS / 2} calls, ${messages} call messages relayed + ${CLIENTS} registrations`,
      `  connect+register: all ${CLIENTS} in ${ms(allJoinedMs)} ms; per client p50 ${ms(j.p50)} ms, p95 ${ms(j.p95)} ms`,
      `  offer->answer round trip (all calls at once): p50 ${ms(r.p50)} ms, p95 ${ms(r.p95)} ms, max ${ms(r.max)} ms; whole exchange ${ms(exchangeMs)} ms`,
      `  offer->answer round trip (one call at a time, ${CLIENTS} connected): p50 ${ms(q.p50)} ms, p95 ${ms(q.p95)} ms`,
      `  server RSS: ${idleRss.map(ms).join(" + ")} MiB idle -> ${connectedRss.map(ms).join(" + ")} MiB connected -> ${loadedRss.map(ms).join(" + ")} MiB after the calls; server CPU ${cpu.map((c) => c.toFixed(2)).join(" + ")} s`,
    ].join("\n"),
  );
}

describe("signaling under load on loopback", () => {
  it(`${CLIENTS} clients on one rtcpipe signal process: every offer, answer, candidate and hang-up delivered`, async () => {
    await loadRun("one node", [await startNode([])]);
  });

  const run = redisAvailable("signaling load on a Redis cluster");
  describe.skipIf(!run)("cluster", () => {
    it(`${CLIENTS} clients over two rtcpipe signal --cluster nodes, every call across nodes`, async () => {
      const redis: RedisUnderTest = await startRedis();
      cleanup.push(() => redis.stop());
      const nodes = [await startNode(["--cluster", redis.url, "--node-id", "load-a"]), await startNode(["--cluster", redis.url, "--node-id", "load-b"])];
      await loadRun("two nodes on Redis", nodes);
    });
  });
});
