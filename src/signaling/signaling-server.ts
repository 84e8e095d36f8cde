import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { checkInt } from "../errors.js";
import { LocalSignalingBackend } from "./local-signaling-backend.js";
import { parseClientMessage, SignalingMessageError } from "./parse-signaling-message.js";
import { RedisSignalingBackend } from "./redis-signaling-backend.js";
import type { SignalingBackend } from "./signaling-backend.js";
import { SignalingError, type SignalingErrorCode } from "./signaling-error.js";
import { DEFAULT_MAX_MESSAGE_BYTES, type ClientMessage, type OutgoingCallMessage, type ServerMessage } from "./signaling-message.js";
import { TokenBucket } from "./token-bucket.js";

/** Options of {@link SignalingServer}; every one has a default. */
export interface SignalingServerOptions {
  /** Address to listen on. Default "127.0.0.1". */
  host?: string;
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** A Redis URL (`redis://127.0.0.1:6379`) to share presence and routing with other nodes. Default: none (one process). */
  cluster?: string;
  /** This node's id in the cluster. Default a random UUID. */
  nodeId?: string;
  /** Cluster: a node silent this long is presumed dead and its clients go offline, ms. Default 15000. */
  nodeTtlMs?: number;
  /** Cluster: prefix of the Redis keys and channels. Default "rtcpipe:sig:". */
  keyPrefix?: string;
  /** Most connections at once; more are closed with 1013 (try again later). Default 10000. */
  maxConnections?: number;
  /** Largest frame, bytes; larger ones get a too-large error (4x this closes the connection, 1009). Default 65536. */
  maxMessageBytes?: number;
  /** Sustained frames per second per connection. Default 50. */
  rateLimitPerS?: number;
  /** Frames a connection may send in a burst. Default 100. */
  rateLimitBurst?: number;
  /** Frames dropped by the rate limit before the connection is closed (1008). Default 200. */
  rateLimitCloseAfter?: number;
  /** A connection that has not registered after this long is closed (4001), ms. Default 10000. */
  registerTimeoutMs?: number;
  /** Ping interval, ms; a client that has not answered the previous ping is dropped. Default 15000. */
  heartbeatIntervalMs?: number;
  /** An offer's call id is refused again for this long, ms. Default 600000. */
  offerReplayWindowMs?: number;
  /** Most identities one connection may watch. Default 1000. */
  maxWatchedPerConnection?: number;
  /** A client that lets this much unsent data pile up is dropped, bytes. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Frames a connection may have waiting for the backend (Redis); more count as rate limited. Default rateLimitBurst. */
  maxPendingPerConnection?: number;
}

/** Counters of a {@link SignalingServer} (`stats()`); every refused or dropped thing is counted. */
export interface SignalingServerStats {
  connections: number;
  registered: number;
  connectionsAccepted: number;
  refusedFull: number;
  framesIn: number;
  relayed: number;
  relayedToOtherNodes: number;
  errorsSent: number;
  malformed: number;
  tooLarge: number;
  binaryFrames: number;
  rateLimited: number;
  closedForFlood: number;
  replayedOffers: number;
  unknownPeer: number;
  identityTaken: number;
  notRegistered: number;
  registerTimeouts: number;
  deadClientsDropped: number;
  slowClientsDropped: number;
  socketErrors: number;
  backendErrors: number;
  presenceEventsSent: number;
  /** The backend's own counters (Redis: forwarded, reapedIdentities, heartbeats, ...). */
  backend: Record<string, number>;
}

type Counter = Exclude<keyof SignalingServerStats, "connections" | "registered" | "backend">;

interface Connection {
  ws: WebSocket;
  bucket: TokenBucket;
  identity: string | undefined;
  registering: boolean;
  alive: boolean;
  closed: boolean;
  watching: Set<string>;
  dropped: number;
  pending: number;
  chain: Promise<void>;
  registerTimer: NodeJS.Timeout | undefined;
}

/** WebSocket close codes the server uses (RFC 6455 7.4.1, 4000-4999 private). */
export const SIGNALING_CLOSE_CODES = {
  /** Too many frames after the rate limit (policy violation). */
  flood: 1008,
  /** Frame above the hard limit (message too big). */
  tooBig: 1009,
  /** Server at maxConnections (try again later). */
  full: 1013,
  /** Server shutting down (going away). */
  shutdown: 1001,
  /** No register within registerTimeoutMs. */
  registerTimeout: 4001,
  /** The identity was taken over by another node. */
  evicted: 4002,
} as const;

/**
 * The signaling server: a `ws` WebSocketServer that registers identities, answers presence
 * queries and relays offers, answers, candidates and hang-ups between them. It never reads a
 * call message's `payload`. One process by default; with `cluster` set, nodes share presence
 * and route through Redis ({@link RedisSignalingBackend}).
 *
 * Bad input never crashes it: malformed, oversized, binary, rate-limited, unregistered or
 * replayed frames get an `error` reply (or a close) and are counted in `stats()`.
 */
export class SignalingServer {
  private readonly wss: WebSocketServer;
  private readonly backend: SignalingBackend;
  private readonly opts: Required<Omit<SignalingServerOptions, "cluster" | "nodeId" | "keyPrefix">>;
  private readonly conns = new Set<Connection>();
  private readonly local = new Map<string, Connection>();
  private readonly pendingIdentities = new Set<string>();
  private readonly watchers = new Map<string, Set<Connection>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private readonly counters: Record<Counter, number> = {
    connectionsAccepted: 0,
    refusedFull: 0,
    framesIn: 0,
    relayed: 0,
    relayedToOtherNodes: 0,
    errorsSent: 0,
    malformed: 0,
    tooLarge: 0,
    binaryFrames: 0,
    rateLimited: 0,
    closedForFlood: 0,
    replayedOffers: 0,
    unknownPeer: 0,
    identityTaken: 0,
    notRegistered: 0,
    registerTimeouts: 0,
    deadClientsDropped: 0,
    slowClientsDropped: 0,
    socketErrors: 0,
    backendErrors: 0,
    presenceEventsSent: 0,
  };

  private constructor(wss: WebSocketServer, backend: SignalingBackend, opts: SignalingServer["opts"]) {
    this.wss = wss;
    this.backend = backend;
    this.opts = opts;
  }

  /** Validates `options`, joins the cluster (if any) and starts listening. */
  static async start(options: SignalingServerOptions = {}): Promise<SignalingServer> {
    const maxMessageBytes = checkInt("maxMessageBytes", options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, 1024, 16 * 1024 * 1024);
    const opts: SignalingServer["opts"] = {
      host: options.host ?? "127.0.0.1",
      port: checkInt("port", options.port ?? 0, 0, 65535),
      nodeTtlMs: checkInt("nodeTtlMs", options.nodeTtlMs ?? 15_000, 100, 3_600_000),
      maxConnections: checkInt("maxConnections", options.maxConnections ?? 10_000, 1, 1_000_000),
      maxMessageBytes,
      rateLimitPerS: checkInt("rateLimitPerS", options.rateLimitPerS ?? 50, 1, 1_000_000),
      rateLimitBurst: checkInt("rateLimitBurst", options.rateLimitBurst ?? 100, 1, 1_000_000),
      rateLimitCloseAfter: checkInt("rateLimitCloseAfter", options.rateLimitCloseAfter ?? 200, 1, 1_000_000_000),
      registerTimeoutMs: checkInt("registerTimeoutMs", options.registerTimeoutMs ?? 10_000, 10, 3_600_000),
      heartbeatIntervalMs: checkInt("heartbeatIntervalMs", options.heartbeatIntervalMs ?? 15_000, 10, 3_600_000),
      offerReplayWindowMs: checkInt("offerReplayWindowMs", options.offerReplayWindowMs ?? 600_000, 1, 86_400_000),
      maxWatchedPerConnection: checkInt("maxWatchedPerConnection", options.maxWatchedPerConnection ?? 1000, 1, 1_000_000),
      maxBufferedBytes: checkInt("maxBufferedBytes", options.maxBufferedBytes ?? 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxPendingPerConnection: checkInt("maxPendingPerConnection", options.maxPendingPerConnection ?? options.rateLimitBurst ?? 100, 1, 1_000_000),
    };
    const backend: SignalingBackend =
      options.cluster === undefined
        ? new LocalSignalingBackend({ windowMs: opts.offerReplayWindowMs })
        : new RedisSignalingBackend({
            url: options.cluster,
            nodeTtlMs: opts.nodeTtlMs,
            offerReplayWindowMs: opts.offerReplayWindowMs,
            ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
            ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
          });
    const wss = new WebSocketServer({ host: opts.host, port: opts.port, maxPayload: maxMessageBytes * 4, perMessageDeflate: false, clientTracking: false });
    try {
      await new Promise<void>((resolve, reject) => {
        wss.once("listening", resolve);
        wss.once("error", reject);
      });
    } catch (e) {
      wss.close();
      throw new SignalingError("server-error", `Cannot listen on ${opts.host}:${opts.port}: ${(e as Error).message}`);
    }
    const server = new SignalingServer(wss, backend, opts);
    try {
      await backend.start({
        deliver: (identity, frame) => server.deliverFrame(identity, frame),
        presence: (identity, online) => server.notifyWatchers(identity, online),
        evicted: (identity) => server.evict(identity),
      });
    } catch (e) {
      wss.close();
      throw e;
    }
    wss.on("connection", (ws) => server.accept(ws));
    wss.on("error", () => server.counters.socketErrors++);
    server.heartbeat = setInterval(() => server.pingAll(), opts.heartbeatIntervalMs);
    server.heartbeat.unref();
    return server;
  }

  /** Where it listens. */
  get address(): { host: string; port: number } {
    const a = this.wss.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** `ws://host:port` of this server. */
  get url(): string {
    const { host, port } = this.address;
    return `ws://${host.includes(":") ? `[${host}]` : host}:${port}`;
  }

  /** This node's id ("local" without a cluster). */
  get nodeId(): string {
    return this.backend.nodeId;
  }

  /** Counters; see {@link SignalingServerStats}. */
  stats(): SignalingServerStats {
    return { connections: this.conns.size, registered: this.local.size, ...this.counters, backend: this.backend.stats() };
  }

  /** Closes every connection (1001), leaves the cluster (its clients go offline on the other nodes) and stops listening. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.heartbeat) clearInterval(this.heartbeat);
      const sockets = [...this.conns].map((c) => c.ws);
      for (const ws of sockets) ws.close(SIGNALING_CLOSE_CODES.shutdown, "server shutting down");
      // The listening socket closes once every connection has; cut those that do not finish
      // the closing handshake quickly.
      const cut = setTimeout(() => sockets.forEach((ws) => ws.terminate()), 1000);
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      clearTimeout(cut);
      for (const c of [...this.conns]) this.drop(c);
      await this.backend.close().catch(() => this.counters.backendErrors++);
    })();
    return this.closing;
  }

  private accept(ws: WebSocket): void {
    if (this.closing) {
      ws.close(SIGNALING_CLOSE_CODES.shutdown, "server shutting down");
      return;
    }
    if (this.conns.size >= this.opts.maxConnections) {
      this.counters.refusedFull++;
      ws.close(SIGNALING_CLOSE_CODES.full, `server full: at most ${this.opts.maxConnections} connections`);
      return;
    }
    this.counters.connectionsAccepted++;
    const c: Connection = {
      ws,
      bucket: new TokenBucket({ ratePerS: this.opts.rateLimitPerS, burst: this.opts.rateLimitBurst }),
      identity: undefined,
      registering: false,
      alive: true,
      closed: false,
      watching: new Set(),
      dropped: 0,
      pending: 0,
      chain: Promise.resolve(),
      registerTimer: undefined,
    };
    c.registerTimer = setTimeout(() => {
      if (c.identity !== undefined || c.closed) return;
      this.counters.registerTimeouts++;
      ws.close(SIGNALING_CLOSE_CODES.registerTimeout, `no register within ${this.opts.registerTimeoutMs} ms`);
      this.drop(c);
    }, this.opts.registerTimeoutMs);
    this.conns.add(c);
    ws.on("message", (data, isBinary) => this.onFrame(c, data, isBinary));
    ws.on("pong", () => (c.alive = true));
    ws.on("error", () => this.counters.socketErrors++); // e.g. above maxPayload: ws closes with 1009
    ws.on("close", () => this.drop(c));
  }

  private onFrame(c: Connection, data: RawData, isBinary: boolean): void {
    if (c.closed) return;
    this.counters.framesIn++;
    if (!c.bucket.take(performance.now()) || c.pending >= this.opts.maxPendingPerConnection) {
      this.counters.rateLimited++;
      if (++c.dropped >= this.opts.rateLimitCloseAfter) {
        this.counters.closedForFlood++;
        c.ws.close(SIGNALING_CLOSE_CODES.flood, "rate limit exceeded");
        this.drop(c);
        return;
      }
      this.sendError(c, undefined, "rate-limited", `Cannot accept message: more than ${this.opts.rateLimitPerS}/s (burst ${this.opts.rateLimitBurst}); dropped`);
      return;
    }
    if (isBinary) {
      this.counters.binaryFrames++;
      this.sendError(c, undefined, "malformed", "Cannot accept a binary frame: the signaling protocol is JSON text frames");
      return;
    }
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    if (bytes > this.opts.maxMessageBytes) {
      this.counters.tooLarge++;
      this.sendError(c, undefined, "too-large", `Cannot accept message: ${bytes} bytes, at most ${this.opts.maxMessageBytes}`);
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8");
    let message: ClientMessage;
    try {
      message = parseClientMessage(text, this.opts.maxMessageBytes);
    } catch (e) {
      if (!(e instanceof SignalingMessageError)) {
        // Not expected (the parser throws only SignalingMessageError), but never fatal.
        this.counters.malformed++;
        this.sendError(c, undefined, "malformed", "Cannot parse signaling message");
        return;
      }
      this.counters[e.problem === "too-large" ? "tooLarge" : "malformed"]++;
      this.sendError(c, e.requestId, e.problem, e.message);
      return;
    }
    // One connection's frames are handled in order, even when one waits for Redis.
    c.pending++;
    c.chain = c.chain
      .then(() => this.handle(c, message))
      .catch(() => {
        this.counters.backendErrors++;
        this.sendError(c, message.id, "server-error", "Cannot handle message: the cluster backend failed");
      })
      .finally(() => c.pending--);
  }

  private async handle(c: Connection, m: ClientMessage): Promise<void> {
    if (c.closed) return;
    if (m.type === "register") return this.register(c, m.identity, m.id);
    if (c.identity === undefined) {
      this.counters.notRegistered++;
      return this.sendError(c, m.id, "not-registered", `Cannot handle ${m.type}: register an identity first`);
    }
    if (m.type === "watch") return this.watch(c, m.identities, m.id);
    return this.relay(c, c.identity, m);
  }

  private async register(c: Connection, identity: string, id: number | undefined): Promise<void> {
    if (c.identity !== undefined || c.registering) {
      return this.sendError(c, id, "already-registered", `Cannot register ${identity}: this connection is already ${c.identity ?? "registering"}`);
    }
    if (this.local.has(identity) || this.pendingIdentities.has(identity)) {
      this.counters.identityTaken++;
      return this.sendError(c, id, "identity-taken", `Cannot register ${identity}: another connection holds it`);
    }
    c.registering = true;
    this.pendingIdentities.add(identity);
    let claimed: boolean;
    try {
      claimed = await this.backend.claim(identity);
    } finally {
      this.pendingIdentities.delete(identity);
      c.registering = false;
    }
    if (!claimed) {
      this.counters.identityTaken++;
      return this.sendError(c, id, "identity-taken", `Cannot register ${identity}: a client on another node holds it`);
    }
    if (c.closed) {
      await this.backend.release(identity);
      return;
    }
    c.identity = identity;
    clearTimeout(c.registerTimer);
    this.local.set(identity, c);
    if (id !== undefined) this.send(c, { v: 1, type: "ack", id });
    this.notifyWatchers(identity, true);
  }

  private async watch(c: Connection, identities: string[], id: number | undefined): Promise<void> {
    const fresh = identities.filter((i) => !c.watching.has(i));
    if (c.watching.size + new Set(fresh).size > this.opts.maxWatchedPerConnection) {
      this.counters.malformed++;
      return this.sendError(c, id, "malformed", `Cannot watch ${fresh.length} more identities: at most ${this.opts.maxWatchedPerConnection} per connection`);
    }
    for (const i of fresh) {
      c.watching.add(i);
      let set = this.watchers.get(i);
      if (!set) this.watchers.set(i, (set = new Set()));
      set.add(c);
    }
    const remote = identities.filter((i) => !this.local.has(i));
    const nodes = await this.backend.locate(remote);
    const remoteOnline = new Set(remote.filter((_, k) => nodes[k] !== undefined));
    const online = identities.filter((i) => this.local.has(i) || remoteOnline.has(i));
    const offline = identities.filter((i) => !this.local.has(i) && !remoteOnline.has(i));
    this.send(c, id === undefined ? { v: 1, type: "presence-state", online, offline } : { v: 1, type: "presence-state", id, online, offline });
  }

  private async relay(c: Connection, from: string, m: OutgoingCallMessage): Promise<void> {
    const target = this.local.get(m.to);
    let nodeId: string | undefined;
    if (target === undefined) [nodeId] = await this.backend.locate([m.to]);
    if (target === undefined && nodeId === undefined) {
      this.counters.unknownPeer++;
      return this.sendError(c, m.id, "unknown-peer", `Cannot send ${m.type} to ${m.to}: not online`);
    }
    if (m.type === "offer" && !(await this.backend.acceptOffer(m.callId, performance.now()))) {
      this.counters.replayedOffers++;
      return this.sendError(c, m.id, "replayed-offer", `Cannot send offer ${m.callId}: that call id was already offered`);
    }
    // The payload string goes out exactly as it came in.
    const out: ServerMessage = m.payload === undefined ? { v: 1, type: m.type, from, callId: m.callId } : { v: 1, type: m.type, from, callId: m.callId, payload: m.payload };
    const frame = JSON.stringify(out);
    let delivered: boolean;
    if (target !== undefined) {
      delivered = this.deliverFrame(m.to, frame);
    } else {
      delivered = nodeId === this.backend.nodeId ? this.deliverFrame(m.to, frame) : await this.backend.forward(nodeId!, m.to, frame);
      if (delivered) this.counters.relayedToOtherNodes++;
    }
    if (!delivered) {
      this.counters.unknownPeer++;
      return this.sendError(c, m.id, "unknown-peer", `Cannot send ${m.type} to ${m.to}: it went offline`);
    }
    this.counters.relayed++;
    if (m.id !== undefined) this.send(c, { v: 1, type: "ack", id: m.id });
  }

  private deliverFrame(identity: string, frame: string): boolean {
    const c = this.local.get(identity);
    if (c === undefined || c.closed) return false;
    this.sendText(c, frame);
    return true;
  }

  private notifyWatchers(identity: string, online: boolean): void {
    const set = this.watchers.get(identity);
    if (!set) return;
    const frame = JSON.stringify({ v: 1, type: "presence", identity, online } satisfies ServerMessage);
    for (const c of set) {
      this.counters.presenceEventsSent++;
      this.sendText(c, frame);
    }
  }

  private evict(identity: string): void {
    const c = this.local.get(identity);
    if (!c) return;
    this.local.delete(identity);
    c.identity = undefined; // the other node holds it now: do not release it
    c.ws.close(SIGNALING_CLOSE_CODES.evicted, "identity taken over by another node");
    this.drop(c);
  }

  private sendError(c: Connection, id: number | undefined, code: SignalingErrorCode, message: string): void {
    this.counters.errorsSent++;
    this.send(c, id === undefined ? { v: 1, type: "error", code, message } : { v: 1, type: "error", id, code, message });
  }

  private send(c: Connection, m: ServerMessage): void {
    this.sendText(c, JSON.stringify(m));
  }

  private sendText(c: Connection, text: string): void {
    if (c.closed) return;
    if (c.ws.bufferedAmount > this.opts.maxBufferedBytes) {
      this.counters.slowClientsDropped++;
      c.ws.terminate();
      this.drop(c);
      return;
    }
    c.ws.send(text);
  }

  private pingAll(): void {
    for (const c of this.conns) {
      if (!c.alive) {
        this.counters.deadClientsDropped++;
        c.ws.terminate();
        this.drop(c);
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  // Forgets a connection (once): its identity goes offline and its watches end.
  private drop(c: Connection): void {
    if (c.closed) return;
    c.closed = true;
    clearTimeout(c.registerTimer);
    this.conns.delete(c);
    for (const i of c.watching) {
      const set = this.watchers.get(i);
      set?.delete(c);
      if (set?.size === 0) this.watchers.delete(i);
    }
    const identity = c.identity;
    if (identity !== undefined && this.local.get(identity) === c) {
      this.local.delete(identity);
      this.notifyWatchers(identity, false);
      if (!this.closing) this.backend.release(identity).catch(() => this.counters.backendErrors++);
    }
  }
}
