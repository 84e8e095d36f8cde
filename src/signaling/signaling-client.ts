import { EventEmitter } from "node:events";
import { WebSocket, type RawData } from "ws";
import { checkInt } from "../errors.js";
import { parseServerMessage, SignalingMessageError } from "./parse-signaling-message.js";
import { SIGNALING_ERROR_CODES, SignalingError, type SignalingErrorCode } from "./signaling-error.js";
import { DEFAULT_MAX_MESSAGE_BYTES, MAX_WATCH_IDENTITIES, type CallMessageType, type ClientMessage, type PresenceStateMessage, type ServerMessage } from "./signaling-message.js";

/** Options of {@link SignalingClient}. */
export interface SignalingClientOptions {
  /** How long `connect` waits for the WebSocket to open, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** How long a request waits for its reply before failing with `timeout`, ms. Default 5000. */
  requestTimeoutMs?: number;
  /** Largest frame accepted from the server, bytes. Default 65536. */
  maxMessageBytes?: number;
  /**
   * Reconnect after the connection drops (not after `close()`, nor after the server evicted
   * this identity or closed it for flooding): re-register the identity and re-watch, with
   * exponential back-off. Default: no reconnection.
   */
  reconnect?: ReconnectPolicy;
}

/** How {@link SignalingClient} reconnects. */
export interface ReconnectPolicy {
  /** Attempts before giving up (then `close` is emitted). Default 10. */
  maxAttempts?: number;
  /** Delay before the first attempt, ms; doubled each time. Default 250. */
  initialDelayMs?: number;
  /** Longest delay between attempts, ms. Default 10000. */
  maxDelayMs?: number;
}

/** A call message that arrived from another identity; `payload` is exactly what the sender sent. */
export interface IncomingCall {
  type: CallMessageType;
  from: string;
  callId: string;
  payload: string | undefined;
}

/** What a {@link SignalingClient} emits. */
export interface SignalingClientEvents {
  offer: [IncomingCall];
  answer: [IncomingCall];
  candidate: [IncomingCall];
  "hang-up": [IncomingCall];
  /** A watched identity came online or went offline. */
  presence: [identity: string, online: boolean];
  /** The server refused a frame it could not tie to a request (rate limited, malformed). */
  refused: [SignalingError];
  /** The connection ended for good (WebSocket close code and reason). */
  close: [code: number, reason: string];
  /** With a reconnect policy: the connection dropped and a reconnection is under way. */
  disconnected: [code: number, reason: string];
  /** With a reconnect policy: connected, re-registered and re-watching again. */
  reconnected: [attempts: number];
}

/** Counters of a {@link SignalingClient}. */
export interface SignalingClientStats {
  framesIn: number;
  framesOut: number;
  malformedDropped: number;
  unmatchedReplies: number;
  timeouts: number;
  reconnects: number;
}

interface Pending {
  resolve(m: ServerMessage): void;
  reject(e: SignalingError): void;
  timer: NodeJS.Timeout;
}

type Request = ClientMessage extends infer M ? (M extends ClientMessage ? Omit<M, "id" | "v"> : never) : never;

const KNOWN_CODES: readonly string[] = SIGNALING_ERROR_CODES;

// Close codes after which coming back would be wrong: the server evicted this identity, or
// closed the connection for a flood or an oversized frame (SIGNALING_CLOSE_CODES).
const FINAL_CLOSE_CODES = new Set([1008, 1009, 4002]);

/**
 * A signaling client over one WebSocket: registers an identity, watches presence, sends
 * offers, answers, candidates and hang-ups, and emits the ones addressed to it. Every request
 * resolves when the server acknowledges it and rejects with a {@link SignalingError} carrying
 * the server's code, or `timeout`, or `closed`. With `reconnect`, a dropped connection is
 * reopened and the identity and watches restored; requests in flight at the drop fail with
 * `closed` (the caller decides whether to resend: an offer's call id may already be used).
 */
export class SignalingClient extends EventEmitter<SignalingClientEvents> {
  private ws: WebSocket;
  private readonly url: string;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxMessageBytes: number;
  private readonly reconnect: Required<ReconnectPolicy> | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly watched = new Set<string>();
  private nextId = 1;
  private closedWith: SignalingError | undefined;
  private userClosed = false;
  private reconnecting = false;
  private readonly counters: SignalingClientStats = { framesIn: 0, framesOut: 0, malformedDropped: 0, unmatchedReplies: 0, timeouts: 0, reconnects: 0 };
  /** The identity registered, once `register` succeeded. */
  identity: string | undefined;

  private constructor(ws: WebSocket, url: string, connectTimeoutMs: number, requestTimeoutMs: number, maxMessageBytes: number, reconnect: Required<ReconnectPolicy> | undefined) {
    super();
    this.ws = ws;
    this.url = url;
    this.connectTimeoutMs = connectTimeoutMs;
    this.requestTimeoutMs = requestTimeoutMs;
    this.maxMessageBytes = maxMessageBytes;
    this.reconnect = reconnect;
    this.attach(ws);
  }

  /** Opens a connection to `url` (`ws://host:port`). Rejects with SignalingError `closed` if it cannot. */
  static async connect(url: string, options: SignalingClientOptions = {}): Promise<SignalingClient> {
    const connectTimeoutMs = checkInt("connectTimeoutMs", options.connectTimeoutMs ?? 5000, 1, 600_000);
    const requestTimeoutMs = checkInt("requestTimeoutMs", options.requestTimeoutMs ?? 5000, 1, 600_000);
    const maxMessageBytes = checkInt("maxMessageBytes", options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, 1024, 16 * 1024 * 1024);
    const r = options.reconnect;
    const reconnect =
      r === undefined
        ? undefined
        : {
            maxAttempts: checkInt("reconnect.maxAttempts", r.maxAttempts ?? 10, 1, 1_000_000),
            initialDelayMs: checkInt("reconnect.initialDelayMs", r.initialDelayMs ?? 250, 1, 3_600_000),
            maxDelayMs: checkInt("reconnect.maxDelayMs", r.maxDelayMs ?? 10_000, 1, 3_600_000),
          };
    const ws = await openSocket(url, connectTimeoutMs, maxMessageBytes);
    return new SignalingClient(ws, url, connectTimeoutMs, requestTimeoutMs, maxMessageBytes, reconnect);
  }

  /** Claims `identity`; rejects with `identity-taken`, `already-registered` or `malformed`. */
  async register(identity: string): Promise<void> {
    await this.request({ type: "register", identity });
    this.identity = identity;
  }

  /** Which of `identities` are online; afterwards their changes arrive as `presence` events. */
  async watch(identities: string[]): Promise<{ online: string[]; offline: string[] }> {
    const reply = await this.request({ type: "watch", identities });
    for (const i of identities) this.watched.add(i);
    if (reply.type !== "presence-state") throw new SignalingError("server-error", `Cannot watch: the server answered ${reply.type}`);
    return { online: reply.online, offline: reply.offline };
  }

  /** Sends an offer; rejects with `unknown-peer`, `replayed-offer`, `not-registered`, ... */
  offer(to: string, callId: string, payload: string): Promise<void> {
    return this.call("offer", to, callId, payload);
  }

  /** Sends an answer to `to`'s offer `callId`. */
  answer(to: string, callId: string, payload: string): Promise<void> {
    return this.call("answer", to, callId, payload);
  }

  /** Sends an ICE candidate (or any opaque per-call update) for call `callId`. */
  candidate(to: string, callId: string, payload: string): Promise<void> {
    return this.call("candidate", to, callId, payload);
  }

  /** Ends call `callId`. */
  hangUp(to: string, callId: string, payload?: string): Promise<void> {
    return this.call("hang-up", to, callId, payload);
  }

  /** Counters. */
  stats(): SignalingClientStats {
    return { ...this.counters };
  }

  /** True while connected (false during a reconnection and after the end). */
  get open(): boolean {
    return this.closedWith === undefined;
  }

  /** Closes the connection (and stops reconnecting) and waits for it to end. */
  async close(): Promise<void> {
    this.userClosed = true;
    if (this.closedWith !== undefined) return;
    const closed = new Promise<void>((resolve) => this.ws.once("close", () => resolve()));
    this.ws.close(1000, "bye");
    const cut = setTimeout(() => this.ws.terminate(), 1000);
    await closed;
    clearTimeout(cut);
  }

  private attach(ws: WebSocket): void {
    ws.on("message", (data, isBinary) => this.onFrame(data, isBinary));
    ws.on("close", (code, reason) => this.onClose(code, reason.toString("utf8")));
  }

  private onClose(code: number, why: string): void {
    this.closedWith = new SignalingError("closed", `Cannot send: the signaling connection closed (${code}${why ? ` ${why}` : ""})`);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(this.closedWith);
    }
    if (this.reconnect === undefined || this.userClosed || FINAL_CLOSE_CODES.has(code)) {
      this.emit("close", code, why);
      return;
    }
    this.emit("disconnected", code, why);
    void this.reconnectLoop(code, why);
  }

  private async reconnectLoop(code: number, why: string): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    const policy = this.reconnect!;
    for (let attempt = 1; attempt <= policy.maxAttempts && !this.userClosed; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1))));
      if (this.userClosed) break;
      let ws: WebSocket;
      const states: PresenceStateMessage[] = [];
      try {
        ws = await openSocket(this.url, this.connectTimeoutMs, this.maxMessageBytes);
      } catch {
        continue;
      }
      this.ws = ws;
      this.closedWith = undefined;
      try {
        // Attached only now: a drop during the restore is this loop's to handle, not onClose's.
        ws.on("message", (data, isBinary) => this.onFrame(data, isBinary));
        const dropped = new Promise<never>((_, reject) => ws.once("close", () => reject(new Error("closed"))));
        dropped.catch(() => undefined);
        if (this.identity !== undefined) await Promise.race([this.request({ type: "register", identity: this.identity }), dropped]);
        const all = [...this.watched];
        for (let i = 0; i < all.length; i += MAX_WATCH_IDENTITIES) {
          const reply = await Promise.race([this.request({ type: "watch", identities: all.slice(i, i + MAX_WATCH_IDENTITIES) }), dropped]);
          // What changed while away arrives as presence events, like any other change.
          if (reply.type === "presence-state") states.push(reply);
        }
      } catch {
        // identity-taken (the server has not dropped the old connection yet), a timeout, a drop: try again.
        ws.removeAllListeners("message");
        ws.terminate();
        this.closedWith = new SignalingError("closed", "Cannot send: reconnecting");
        continue;
      }
      ws.on("close", (c, r) => this.onClose(c, r.toString("utf8")));
      this.reconnecting = false;
      this.counters.reconnects++;
      this.emit("reconnected", attempt);
      for (const st of states) {
        for (const i of st.online) this.emit("presence", i, true);
        for (const i of st.offline) this.emit("presence", i, false);
      }
      return;
    }
    this.reconnecting = false;
    this.emit("close", code, why);
  }

  private async call(type: CallMessageType, to: string, callId: string, payload: string | undefined): Promise<void> {
    await this.request(payload === undefined ? { type, to, callId } : { type, to, callId, payload });
  }

  private request(body: Request): Promise<ServerMessage> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
    return new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.counters.timeouts++;
        reject(new SignalingError("timeout", `Cannot ${body.type}: no reply within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.counters.framesOut++;
      this.ws.send(JSON.stringify({ v: 1, ...body, id }));
    });
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    this.counters.framesIn++;
    let m: ServerMessage;
    try {
      if (isBinary) throw new SignalingMessageError("malformed", "Cannot accept a binary frame");
      const text = Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8");
      m = parseServerMessage(text, this.maxMessageBytes);
    } catch {
      this.counters.malformedDropped++; // SignalingMessageError: a frame the protocol does not allow
      return;
    }
    if (m.type === "ack" || m.type === "presence-state" || m.type === "error") {
      const p = m.id === undefined ? undefined : this.pending.get(m.id);
      if (m.type === "error") {
        const code = (KNOWN_CODES.includes(m.code) ? m.code : "server-error") as SignalingErrorCode;
        const err = new SignalingError(code, m.message);
        if (p) {
          this.settle(m.id!, p);
          p.reject(err);
        } else {
          this.emit("refused", err);
        }
        return;
      }
      if (!p) {
        if (m.type === "presence-state") return;
        this.counters.unmatchedReplies++;
        return;
      }
      this.settle(m.id!, p);
      p.resolve(m);
      return;
    }
    if (m.type === "presence") {
      this.emit("presence", m.identity, m.online);
      return;
    }
    this.emit(m.type, { type: m.type, from: m.from, callId: m.callId, payload: m.payload });
  }

  private settle(id: number, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(id);
  }
}

async function openSocket(url: string, connectTimeoutMs: number, maxMessageBytes: number): Promise<WebSocket> {
  const ws = new WebSocket(url, { maxPayload: maxMessageBytes * 4, perMessageDeflate: false, handshakeTimeout: connectTimeoutMs });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => {
      ws.terminate();
      reject(new SignalingError("closed", `Cannot connect to ${url}: ${e.message}`));
    };
    ws.once("open", () => {
      ws.off("error", onError);
      resolve();
    });
    ws.once("error", onError);
  });
  ws.on("error", () => undefined); // reported through "close"
  return ws;
}
