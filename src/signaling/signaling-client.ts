import { EventEmitter } from "node:events";
import { WebSocket, type RawData } from "ws";
import { checkInt } from "../errors.js";
import { parseServerMessage, SignalingMessageError } from "./parse-signaling-message.js";
import { SIGNALING_ERROR_CODES, SignalingError, type SignalingErrorCode } from "./signaling-error.js";
import { DEFAULT_MAX_MESSAGE_BYTES, type CallMessageType, type ClientMessage, type ServerMessage } from "./signaling-message.js";

/** Options of {@link SignalingClient}. */
export interface SignalingClientOptions {
  /** How long `connect` waits for the WebSocket to open, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** How long a request waits for its reply before failing with `timeout`, ms. Default 5000. */
  requestTimeoutMs?: number;
  /** Largest frame accepted from the server, bytes. Default 65536. */
  maxMessageBytes?: number;
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
  /** The connection ended (WebSocket close code and reason). */
  close: [code: number, reason: string];
}

/** Counters of a {@link SignalingClient}. */
export interface SignalingClientStats {
  framesIn: number;
  framesOut: number;
  malformedDropped: number;
  unmatchedReplies: number;
  timeouts: number;
}

interface Pending {
  resolve(m: ServerMessage): void;
  reject(e: SignalingError): void;
  timer: NodeJS.Timeout;
}

type Request = ClientMessage extends infer M ? (M extends ClientMessage ? Omit<M, "id" | "v"> : never) : never;

const KNOWN_CODES: readonly string[] = SIGNALING_ERROR_CODES;

/**
 * A signaling client over one WebSocket: registers an identity, watches presence, sends
 * offers, answers, candidates and hang-ups, and emits the ones addressed to it. Every request
 * resolves when the server acknowledges it and rejects with a {@link SignalingError} carrying
 * the server's code, or `timeout`, or `closed`. No reconnection: on `close`, make a new one.
 */
export class SignalingClient extends EventEmitter<SignalingClientEvents> {
  private readonly ws: WebSocket;
  private readonly requestTimeoutMs: number;
  private readonly maxMessageBytes: number;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedWith: SignalingError | undefined;
  private readonly counters: SignalingClientStats = { framesIn: 0, framesOut: 0, malformedDropped: 0, unmatchedReplies: 0, timeouts: 0 };
  /** The identity registered, once `register` succeeded. */
  identity: string | undefined;

  private constructor(ws: WebSocket, requestTimeoutMs: number, maxMessageBytes: number) {
    super();
    this.ws = ws;
    this.requestTimeoutMs = requestTimeoutMs;
    this.maxMessageBytes = maxMessageBytes;
    ws.on("message", (data, isBinary) => this.onFrame(data, isBinary));
    ws.on("close", (code, reason) => {
      const why = reason.toString("utf8");
      this.closedWith = new SignalingError("closed", `Cannot send: the signaling connection closed (${code}${why ? ` ${why}` : ""})`);
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(this.closedWith);
      }
      this.emit("close", code, why);
    });
  }

  /** Opens a connection to `url` (`ws://host:port`). Rejects with SignalingError `closed` if it cannot. */
  static async connect(url: string, options: SignalingClientOptions = {}): Promise<SignalingClient> {
    const connectTimeoutMs = checkInt("connectTimeoutMs", options.connectTimeoutMs ?? 5000, 1, 600_000);
    const requestTimeoutMs = checkInt("requestTimeoutMs", options.requestTimeoutMs ?? 5000, 1, 600_000);
    const maxMessageBytes = checkInt("maxMessageBytes", options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, 1024, 16 * 1024 * 1024);
    const ws = new WebSocket(url, { maxPayload: maxMessageBytes * 4, perMessageDeflate: false, handshakeTimeout: connectTimeoutMs });
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => {
        ws.terminate();
        reject(new SignalingError("closed", `Cannot connect to ${url}: ${why}`));
      };
      ws.once("open", () => {
        ws.off("error", onError);
        resolve();
      });
      const onError = (e: Error): void => fail(e.message);
      ws.once("error", onError);
    });
    ws.on("error", () => undefined); // reported through "close"
    return new SignalingClient(ws, requestTimeoutMs, maxMessageBytes);
  }

  /** Claims `identity`; rejects with `identity-taken`, `already-registered` or `malformed`. */
  async register(identity: string): Promise<void> {
    await this.request({ type: "register", identity });
    this.identity = identity;
  }

  /** Which of `identities` are online; afterwards their changes arrive as `presence` events. */
  async watch(identities: string[]): Promise<{ online: string[]; offline: string[] }> {
    const reply = await this.request({ type: "watch", identities });
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

  /** True until the connection closed. */
  get open(): boolean {
    return this.closedWith === undefined;
  }

  /** Closes the connection and waits for it to end. */
  async close(): Promise<void> {
    if (this.closedWith !== undefined) return;
    const closed = new Promise<void>((resolve) => this.ws.once("close", () => resolve()));
    this.ws.close(1000, "bye");
    const cut = setTimeout(() => this.ws.terminate(), 1000);
    await closed;
    clearTimeout(cut);
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
