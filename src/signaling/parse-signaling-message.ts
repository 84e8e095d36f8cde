import { MalformedPacketError } from "../errors.js";
import {
  CALL_ID_PATTERN,
  CALL_MESSAGE_TYPES,
  DEFAULT_MAX_MESSAGE_BYTES,
  IDENTITY_PATTERN,
  MAX_WATCH_IDENTITIES,
  SIGNALING_PROTOCOL_VERSION,
  type CallMessageType,
  type ClientMessage,
  type ServerMessage,
} from "./signaling-message.js";

/** Why a frame was refused: the `error` code the server answers with. */
export type SignalingMessageProblem = "malformed" | "unsupported-version" | "too-large";

/**
 * A signaling frame that is not valid protocol version 1. `problem` is the error code to
 * answer with; `requestId` is the frame's `id` when it could be read, so the reply names it.
 */
export class SignalingMessageError extends MalformedPacketError {
  /** The protocol error code for the reply. */
  readonly problem: SignalingMessageProblem;
  /** The request id of the refused frame, when it had a valid one. */
  readonly requestId: number | undefined;
  constructor(problem: SignalingMessageProblem, message: string, requestId?: number) {
    super(message);
    this.problem = problem;
    this.requestId = requestId;
  }
}

type Json = Record<string, unknown>;

const CALL_TYPES: readonly string[] = CALL_MESSAGE_TYPES;
const MAX_ERROR_TEXT = 1000;

class Reader {
  constructor(
    readonly obj: Json,
    readonly requestId: number | undefined,
  ) {}

  fail(message: string): never {
    throw new SignalingMessageError("malformed", `Cannot parse signaling ${String(this.obj["type"])} message: ${message}`, this.requestId);
  }

  /** Only these keys (besides v, type, id). */
  keys(allowed: readonly string[]): void {
    for (const k of Object.keys(this.obj)) {
      if (k !== "v" && k !== "type" && k !== "id" && !allowed.includes(k)) this.fail(`unknown field ${JSON.stringify(k)}; allowed are ${allowed.join(", ")}`);
    }
  }

  string(key: string, pattern: RegExp | null, maxLength: number, what: string): string {
    const s = this.obj[key];
    if (typeof s !== "string") this.fail(`${key} must be a string (${what})`);
    if (s.length > maxLength || (pattern !== null && !pattern.test(s))) this.fail(`${key} ${JSON.stringify(s.slice(0, 80))} is not ${what}`);
    return s;
  }

  optionalString(key: string, maxLength: number, what: string): string | undefined {
    return this.obj[key] === undefined ? undefined : this.string(key, null, maxLength, what);
  }

  identity(key: string): string {
    return this.string(key, IDENTITY_PATTERN, 64, "an identity (1-64 of A-Z a-z 0-9 . _ @ + -, starting with a letter or digit)");
  }

  callId(): string {
    return this.string("callId", CALL_ID_PATTERN, 64, "a call id (8-64 of A-Z a-z 0-9 _ -)");
  }

  identities(key: string): string[] {
    const a = this.obj[key];
    if (!Array.isArray(a) || a.length > MAX_WATCH_IDENTITIES) this.fail(`${key} must be an array of at most ${MAX_WATCH_IDENTITIES} identities`);
    for (const s of a) {
      if (typeof s !== "string" || !IDENTITY_PATTERN.test(s)) this.fail(`${key} holds ${JSON.stringify(String(s).slice(0, 80))}, which is not an identity`);
    }
    return a as string[];
  }
}

function decode(text: string, maxBytes: number): Reader {
  // A UTF-8 byte is at least one UTF-16 unit, and a unit at most 3 bytes: check cheaply first.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text, "utf8") > maxBytes)) {
    throw new SignalingMessageError("too-large", `Cannot accept signaling message: larger than ${maxBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SignalingMessageError("malformed", "Cannot parse signaling message: not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SignalingMessageError("malformed", "Cannot parse signaling message: not a JSON object");
  }
  const obj = value as Json;
  const id = obj["id"];
  let requestId: number | undefined;
  if (id !== undefined) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      throw new SignalingMessageError("malformed", "Cannot parse signaling message: id must be an integer from 0 to 2147483647");
    }
    requestId = id;
  }
  if (obj["v"] !== SIGNALING_PROTOCOL_VERSION) {
    const problem = typeof obj["v"] === "number" ? "unsupported-version" : "malformed";
    throw new SignalingMessageError(problem, `Cannot parse signaling message: v must be ${SIGNALING_PROTOCOL_VERSION}, got ${JSON.stringify(obj["v"])}`, requestId);
  }
  if (typeof obj["type"] !== "string") throw new SignalingMessageError("malformed", "Cannot parse signaling message: type must be a string", requestId);
  return new Reader(obj, requestId);
}

function withId<T extends object>(message: T, id: number | undefined): T & { id?: number } {
  return id === undefined ? message : { ...message, id };
}

/**
 * Validates one frame a client sent. Throws {@link SignalingMessageError} (a
 * MalformedPacketError) unless it is a protocol-1 register, watch or call message with only
 * the allowed fields, each within its limits. The `payload` is checked to be a string only.
 */
export function parseClientMessage(text: string, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): ClientMessage {
  const r = decode(text, maxBytes);
  const type = r.obj["type"] as string;
  const id = r.requestId;
  if (type === "register") {
    r.keys(["identity"]);
    return withId({ v: 1, type, identity: r.identity("identity") }, id);
  }
  if (type === "watch") {
    r.keys(["identities"]);
    return withId({ v: 1, type, identities: r.identities("identities") }, id);
  }
  if (CALL_TYPES.includes(type)) {
    r.keys(["to", "callId", "payload"]);
    const to = r.identity("to");
    const callId = r.callId();
    const payload = type === "hang-up" ? r.optionalString("payload", maxBytes, "the opaque payload") : r.string("payload", null, maxBytes, "the opaque payload");
    const m = { v: 1 as const, type: type as CallMessageType, to, callId };
    return withId(payload === undefined ? m : { ...m, payload }, id);
  }
  return r.fail(`type must be one of register, watch, ${CALL_MESSAGE_TYPES.join(", ")}`);
}

/**
 * Validates one frame the server sent (the client side's parser). Throws
 * {@link SignalingMessageError} unless it is a protocol-1 ack, presence-state, presence, call
 * message or error with only the allowed fields.
 */
export function parseServerMessage(text: string, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): ServerMessage {
  const r = decode(text, maxBytes);
  const type = r.obj["type"] as string;
  const id = r.requestId;
  if (type === "ack") {
    r.keys([]);
    if (id === undefined) return r.fail("an ack needs an id");
    return { v: 1, type, id };
  }
  if (type === "presence-state") {
    r.keys(["online", "offline"]);
    return withId({ v: 1, type, online: r.identities("online"), offline: r.identities("offline") }, id);
  }
  if (type === "presence") {
    r.keys(["identity", "online"]);
    const online = r.obj["online"];
    if (typeof online !== "boolean") return r.fail("online must be true or false");
    return { v: 1, type, identity: r.identity("identity"), online };
  }
  if (type === "error") {
    r.keys(["code", "message"]);
    return withId({ v: 1, type, code: r.string("code", /^[a-z][a-z-]{0,39}$/, 40, "an error code"), message: r.string("message", null, MAX_ERROR_TEXT, "a text") }, id);
  }
  if (CALL_TYPES.includes(type)) {
    r.keys(["from", "callId", "payload"]);
    if (id !== undefined) r.fail("a relayed call message has no id");
    const from = r.identity("from");
    const callId = r.callId();
    const payload = type === "hang-up" ? r.optionalString("payload", maxBytes, "the opaque payload") : r.string("payload", null, maxBytes, "the opaque payload");
    const m = { v: 1 as const, type: type as CallMessageType, from, callId };
    return payload === undefined ? m : { ...m, payload };
  }
  return r.fail(`type must be one of ack, presence-state, presence, error, ${CALL_MESSAGE_TYPES.join(", ")}`);
}
