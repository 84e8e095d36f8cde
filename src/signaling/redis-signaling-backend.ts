import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { checkInt, InvalidOptionError } from "../errors.js";
import type { SignalingBackend, SignalingBackendHandlers } from "./signaling-backend.js";
import { SignalingError } from "./signaling-error.js";

/** Options of {@link RedisSignalingBackend}. */
export interface RedisSignalingBackendOptions {
  /** Redis URL, `redis://host:port[/db]`. */
  url: string;
  /** This node's id. Default a random UUID. */
  nodeId?: string;
  /** A node whose heartbeat stops is presumed dead after this long and its clients go offline, ms. Default 15000. */
  nodeTtlMs?: number;
  /** How often the node heartbeat refreshes its liveness and reaps dead nodes, ms. Default nodeTtlMs / 3. */
  nodeHeartbeatMs?: number;
  /** How long an offer's call id is remembered cluster-wide, ms. Default 600000. */
  offerReplayWindowMs?: number;
  /** Prefix of every key and channel. Default "rtcpipe:sig:". */
  keyPrefix?: string;
  /** How long to wait for Redis at start, ms. Default 5000. */
  connectTimeoutMs?: number;
}

// Data model (all under the prefix P):
//   P owners            hash identity -> node id holding it
//   P node:<id>         liveness key, PX nodeTtlMs, refreshed by the node heartbeat
//   P node:<id>:ids     set of identities the node holds (so a dead node's can be reaped)
//   P nodes             set of node ids ever alive (reaped when their liveness key is gone)
//   P offer:<callId>    SET NX PX window: the replay guard
//   P to:<id>           pub/sub channel of one node: "identity\nframe"
//   P presence          pub/sub channel of presence changes, JSON {identity, online, node}
// Each script runs atomically in Redis. Key names are built inside the scripts, so this
// targets a standalone Redis (or one hash slot), not Redis Cluster.

const CLAIM = `
local p, ident, node = ARGV[1], ARGV[2], ARGV[3]
local owner = redis.call('HGET', p..'owners', ident)
if owner and owner ~= node and redis.call('EXISTS', p..'node:'..owner) == 1 then return 0 end
if owner and owner ~= node then redis.call('SREM', p..'node:'..owner..':ids', ident) end
redis.call('HSET', p..'owners', ident, node)
redis.call('SADD', p..'node:'..node..':ids', ident)
redis.call('PUBLISH', p..'presence', cjson.encode({identity=ident, online=true, node=node}))
return 1`;

const RELEASE = `
local p, ident, node = ARGV[1], ARGV[2], ARGV[3]
redis.call('SREM', p..'node:'..node..':ids', ident)
if redis.call('HGET', p..'owners', ident) == node then
  redis.call('HDEL', p..'owners', ident)
  redis.call('PUBLISH', p..'presence', cjson.encode({identity=ident, online=false, node=node}))
  return 1
end
return 0`;

const LOCATE = `
local p = ARGV[1]
local out = {}
for i = 2, #ARGV do
  local owner = redis.call('HGET', p..'owners', ARGV[i])
  if owner and redis.call('EXISTS', p..'node:'..owner) == 1 then out[i - 1] = owner else out[i - 1] = '' end
end
return out`;

// Refreshes this node's liveness (returns whether it was still alive) and reaps dead nodes:
// their identities go offline (published), their sets are deleted.
const HEARTBEAT = `
local p, node, ttl = ARGV[1], ARGV[2], ARGV[3]
local alive = redis.call('EXISTS', p..'node:'..node)
redis.call('SET', p..'node:'..node, '1', 'PX', ttl)
redis.call('SADD', p..'nodes', node)
local reaped = 0
for _, n in ipairs(redis.call('SMEMBERS', p..'nodes')) do
  if redis.call('EXISTS', p..'node:'..n) == 0 then
    for _, ident in ipairs(redis.call('SMEMBERS', p..'node:'..n..':ids')) do
      if redis.call('HGET', p..'owners', ident) == n then
        redis.call('HDEL', p..'owners', ident)
        redis.call('PUBLISH', p..'presence', cjson.encode({identity=ident, online=false, node=n}))
        reaped = reaped + 1
      end
    end
    redis.call('DEL', p..'node:'..n..':ids')
    redis.call('SREM', p..'nodes', n)
  end
end
return {alive, reaped}`;

const LEAVE = `
local p, node = ARGV[1], ARGV[2]
for _, ident in ipairs(redis.call('SMEMBERS', p..'node:'..node..':ids')) do
  if redis.call('HGET', p..'owners', ident) == node then
    redis.call('HDEL', p..'owners', ident)
    redis.call('PUBLISH', p..'presence', cjson.encode({identity=ident, online=false, node=node}))
  end
end
redis.call('DEL', p..'node:'..node..':ids', p..'node:'..node)
redis.call('SREM', p..'nodes', node)
return 1`;

interface Scripts {
  sigClaim(...args: string[]): Promise<number>;
  sigRelease(...args: string[]): Promise<number>;
  sigLocate(...args: string[]): Promise<string[]>;
  sigHeartbeat(...args: string[]): Promise<[number, number]>;
  sigLeave(...args: string[]): Promise<number>;
}

/**
 * Scale-out on Redis: presence in a Redis hash (identity → node) with each node's liveness
 * key expiring after `nodeTtlMs` unless its heartbeat refreshes it, so a killed node's
 * clients vanish after the TTL; messages go over Redis pub/sub on one channel per node.
 *
 * A channel per node (not per identity): a node subscribes to one channel for its life,
 * whatever its number of clients, with no SUBSCRIBE/UNSUBSCRIBE per registration; the owner
 * lookup that picks the channel is also what answers "unknown peer", and PUBLISH's receiver
 * count tells a node that died since. Frames are forwarded as the text the sending node
 * serialized, so the payload is never parsed again.
 */
export class RedisSignalingBackend implements SignalingBackend {
  readonly nodeId: string;
  private readonly url: string;
  private readonly nodeTtlMs: number;
  private readonly nodeHeartbeatMs: number;
  private readonly offerWindowMs: number;
  private readonly prefix: string;
  private readonly connectTimeoutMs: number;
  private cmd: Redis | undefined;
  private sub: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;
  private handlers: SignalingBackendHandlers | undefined;
  private readonly held = new Set<string>();
  private closed = false;
  private readonly counters = {
    forwarded: 0,
    forwardedToGoneNode: 0,
    deliveredFromOtherNodes: 0,
    deliveredToAbsentClient: 0,
    malformedBusMessages: 0,
    presenceEventsIn: 0,
    heartbeats: 0,
    heartbeatErrors: 0,
    reapedIdentities: 0,
    revivals: 0,
    evictions: 0,
  };

  constructor(options: RedisSignalingBackendOptions) {
    if (typeof options.url !== "string" || !/^rediss?:\/\/[^\s]+$/.test(options.url)) {
      throw new InvalidOptionError(`Cannot use cluster=${JSON.stringify(options.url)}: allowed is a Redis URL like redis://127.0.0.1:6379`);
    }
    this.url = options.url;
    this.nodeId = options.nodeId ?? randomUUID();
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(this.nodeId)) throw new InvalidOptionError(`Cannot use nodeId=${JSON.stringify(this.nodeId)}: allowed is 1-64 of A-Z a-z 0-9 _ . -`);
    this.nodeTtlMs = checkInt("nodeTtlMs", options.nodeTtlMs ?? 15_000, 100, 3_600_000);
    this.nodeHeartbeatMs = checkInt("nodeHeartbeatMs", options.nodeHeartbeatMs ?? Math.max(30, Math.floor(this.nodeTtlMs / 3)), 10, this.nodeTtlMs - 1);
    this.offerWindowMs = checkInt("offerReplayWindowMs", options.offerReplayWindowMs ?? 600_000, 1, 86_400_000);
    this.prefix = options.keyPrefix ?? "rtcpipe:sig:";
    this.connectTimeoutMs = checkInt("connectTimeoutMs", options.connectTimeoutMs ?? 5000, 1, 600_000);
  }

  async start(handlers: SignalingBackendHandlers): Promise<void> {
    this.handlers = handlers;
    this.cmd = await this.connect();
    this.sub = await this.connect();
    const scripts = { sigClaim: CLAIM, sigRelease: RELEASE, sigLocate: LOCATE, sigHeartbeat: HEARTBEAT, sigLeave: LEAVE };
    for (const [name, lua] of Object.entries(scripts)) this.cmd.defineCommand(name, { numberOfKeys: 0, lua });
    this.sub.on("message", (channel: string, message: string) => this.onBusMessage(channel, message));
    await this.sub.subscribe(this.channelOf(this.nodeId), `${this.prefix}presence`);
    await this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), this.nodeHeartbeatMs);
    this.timer.unref();
  }

  async claim(identity: string): Promise<boolean> {
    const ok = (await this.scripts().sigClaim(this.prefix, identity, this.nodeId)) === 1;
    if (ok) this.held.add(identity);
    return ok;
  }

  async release(identity: string): Promise<void> {
    this.held.delete(identity);
    if (this.closed) return;
    await this.scripts().sigRelease(this.prefix, identity, this.nodeId);
  }

  async locate(identities: readonly string[]): Promise<(string | undefined)[]> {
    if (identities.length === 0) return [];
    const owners = await this.scripts().sigLocate(this.prefix, ...identities);
    return identities.map((_, i) => (owners[i] ? owners[i] : undefined));
  }

  async forward(nodeId: string, identity: string, frame: string): Promise<boolean> {
    const receivers = await this.cmd!.publish(this.channelOf(nodeId), `${identity}\n${frame}`);
    if (receivers === 0) {
      this.counters.forwardedToGoneNode++;
      return false;
    }
    this.counters.forwarded++;
    return true;
  }

  async acceptOffer(callId: string, _nowMs: number): Promise<boolean> {
    return (await this.cmd!.set(`${this.prefix}offer:${callId}`, "1", "PX", this.offerWindowMs, "NX")) === "OK";
  }

  stats(): Record<string, number> {
    return { ...this.counters, heldIdentities: this.held.size };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      if (this.cmd?.status === "ready") await this.scripts().sigLeave(this.prefix, this.nodeId);
    } finally {
      this.held.clear();
      this.sub?.disconnect();
      await this.cmd?.quit().catch(() => undefined);
      this.cmd?.disconnect();
    }
  }

  private async connect(): Promise<Redis> {
    const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    let lastError = "";
    redis.on("error", (e: Error) => {
      lastError = e.message;
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        redis.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
        }),
      ]);
    } catch (e) {
      redis.disconnect();
      throw new SignalingError("server-error", `Cannot connect to Redis at ${this.url}: ${lastError || (e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    return redis;
  }

  private scripts(): Scripts {
    return this.cmd as unknown as Scripts;
  }

  private channelOf(nodeId: string): string {
    return `${this.prefix}to:${nodeId}`;
  }

  private async heartbeat(): Promise<void> {
    if (this.closed) return;
    try {
      const [alive, reaped] = await this.scripts().sigHeartbeat(this.prefix, this.nodeId, String(this.nodeTtlMs));
      this.counters.heartbeats++;
      this.counters.reapedIdentities += reaped;
      if (alive === 0 && this.counters.heartbeats > 1 && this.held.size > 0) await this.revive();
    } catch {
      this.counters.heartbeatErrors++;
    }
  }

  // This node was presumed dead (its heartbeat stalled past the TTL) and its identities were
  // reaped: claim them back, or evict the clients whose identity another node took meanwhile.
  private async revive(): Promise<void> {
    this.counters.revivals++;
    for (const identity of [...this.held]) {
      if (!(await this.claim(identity))) {
        this.held.delete(identity);
        this.counters.evictions++;
        this.handlers?.evicted(identity);
      }
    }
  }

  private onBusMessage(channel: string, message: string): void {
    if (channel === `${this.prefix}presence`) {
      let event: unknown;
      try {
        event = JSON.parse(message);
      } catch {
        this.counters.malformedBusMessages++;
        return;
      }
      const e = event as { identity?: unknown; online?: unknown; node?: unknown };
      if (typeof e.identity !== "string" || typeof e.online !== "boolean" || typeof e.node !== "string") {
        this.counters.malformedBusMessages++;
        return;
      }
      if (e.node === this.nodeId) return; // the server announced its own clients itself
      this.counters.presenceEventsIn++;
      this.handlers?.presence(e.identity, e.online);
      return;
    }
    const nl = message.indexOf("\n");
    if (nl <= 0) {
      this.counters.malformedBusMessages++;
      return;
    }
    this.counters.deliveredFromOtherNodes++;
    if (!this.handlers?.deliver(message.slice(0, nl), message.slice(nl + 1))) this.counters.deliveredToAbsentClient++;
  }
}
