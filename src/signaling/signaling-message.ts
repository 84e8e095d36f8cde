/**
 * The rtcpipe signaling protocol, version 1: JSON text frames over one WebSocket.
 *
 * Every frame is an object `{ "v": 1, "type": ..., ... }`. A client registers one identity,
 * watches the presence of others, and sends call messages (offer, answer, candidate, hang-up)
 * addressed to an identity with a call id. The server relays the call message's `payload`
 * as the same string, unread: it checks only that it is a string within the size limit, so
 * end-to-end key material can ride in it. Requests that carry an `id` get exactly one reply
 * with that id: `ack`, `presence-state` (for `watch`) or `error`.
 */

/** The protocol version this code speaks (`v` in every frame). */
export const SIGNALING_PROTOCOL_VERSION = 1;

/** Largest frame either side accepts by default, in bytes of UTF-8 JSON. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

/** Most identities one `watch` request may name. */
export const MAX_WATCH_IDENTITIES = 100;

/** The call messages a client addresses to another identity. */
export const CALL_MESSAGE_TYPES = ["offer", "answer", "candidate", "hang-up"] as const;

/** One of {@link CALL_MESSAGE_TYPES}. */
export type CallMessageType = (typeof CALL_MESSAGE_TYPES)[number];

/** What an identity looks like: 1-64 characters, letters, digits and `._@+-`, not starting with punctuation. */
export const IDENTITY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

/** What a call id looks like: 8-64 characters of letters, digits, `_` and `-` (e.g. a base64url UUID). */
export const CALL_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** Client → server: claim `identity` for this connection. */
export interface RegisterMessage {
  v: 1;
  type: "register";
  id?: number;
  identity: string;
}

/** Client → server: which of `identities` are online now (answered by `presence-state`), and tell me when that changes. */
export interface WatchMessage {
  v: 1;
  type: "watch";
  id?: number;
  identities: string[];
}

/** Client → server: a call message for identity `to`. `payload` is opaque to the server (optional for hang-up). */
export interface OutgoingCallMessage {
  v: 1;
  type: CallMessageType;
  id?: number;
  to: string;
  callId: string;
  payload?: string;
}

/** Any frame a client sends. */
export type ClientMessage = RegisterMessage | WatchMessage | OutgoingCallMessage;

/** Server → client: request `id` succeeded. */
export interface AckMessage {
  v: 1;
  type: "ack";
  id: number;
}

/** Server → client: the answer to a `watch` request. */
export interface PresenceStateMessage {
  v: 1;
  type: "presence-state";
  id?: number;
  online: string[];
  offline: string[];
}

/** Server → client: a watched identity came online or went offline. */
export interface PresenceMessage {
  v: 1;
  type: "presence";
  identity: string;
  online: boolean;
}

/** Server → client: a call message from identity `from`, `payload` exactly as the sender wrote it. */
export interface IncomingCallMessage {
  v: 1;
  type: CallMessageType;
  from: string;
  callId: string;
  payload?: string;
}

/** Server → client: a request (with its `id`, if it had one) or a frame was refused. */
export interface ErrorMessage {
  v: 1;
  type: "error";
  id?: number;
  code: string;
  message: string;
}

/** Any frame the server sends. */
export type ServerMessage = AckMessage | PresenceStateMessage | PresenceMessage | IncomingCallMessage | ErrorMessage;
