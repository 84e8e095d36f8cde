/**
 * A TURN client (RFC 8656) as a pure core, driven like the other stage cores: datagrams from
 * the TURN server go into `receive(bytes, nowUs)`, time into `tick(nowUs)` at
 * `nextTimeoutUs()`; datagrams for the server come out of `pollTransmit()` and happenings out
 * of `pollEvent()`. No socket, no clock, no timers: an ICE agent can run it over its own
 * socket, and `TurnUdpSocket` runs it over node:dgram on the wall clock.
 *
 * What it does:
 * - Allocate (RFC 8656 7.1) with REQUESTED-TRANSPORT UDP and LIFETIME; the first request goes
 *   without credentials, the 401 brings REALM and NONCE, the retry carries USERNAME, REALM,
 *   NONCE and MESSAGE-INTEGRITY with the long-term key MD5(username:realm:password)
 *   (RFC 8489 9.2). 438 Stale Nonce takes the new NONCE and retries; both are bounded by
 *   `maxAuthRetries`. Success responses must carry a valid MESSAGE-INTEGRITY (9.2.5), or they
 *   are dropped and counted.
 * - Refresh (7.2) before the allocation expires; `close` sends Refresh with LIFETIME 0 (7.2).
 * - CreatePermission (9) per peer IP, refreshed every `permissionRefreshS` (< 300 s, 9.2);
 *   ChannelBind (12) per peer transport address, channels from 0x4000 up, refreshed every
 *   `channelRefreshS` (< 600 s, 12).
 * - Data to a peer goes as ChannelData (12.4) once its channel is bound, else as a Send
 *   indication (10.1) once its permission is installed; before that a few datagrams wait
 *   (bounded, the rest dropped and counted). Data from peers arrives as Data indications
 *   (10.4) or ChannelData; both become "data" events.
 * - Failures end as a "error" event with a TurnError (wrong credentials, 403, 486, 508, 437,
 *   timeout), never a hang: every request is a bounded STUN transaction (RFC 8489 6.2.1).
 */
import { checkInt, checkRange, InvalidOptionError, MalformedPacketError } from "../errors.js";
import { longTermKey } from "../stun/stun-credentials.js";
import { StunAttributeType as T } from "../stun/stun-attribute-type.js";
import { StunMessage } from "../stun/stun-message.js";
import { StunClass, StunMethod } from "../stun/stun-message-type.js";
import { StunClientTransaction, type StunTransactionOptions } from "../stun/stun-transaction.js";
import { newTransactionId, seededRandomFill, type RandomFill } from "../stun/transaction-id.js";
import { formatTransportAddress, transportAddress, type TransportAddress } from "../stun/transport-address.js";
import { ChannelData, MAX_CHANNEL_NUMBER, MIN_CHANNEL_NUMBER } from "./channel-data.js";
import { classifyDatagram } from "./classify-datagram.js";
import { encodeChannelNumber, encodeRequestedTransport } from "./turn-attributes.js";
import { TurnError, turnErrorKind } from "./turn-error.js";

/** Options of a TurnClient. */
export interface TurnClientOptions extends StunTransactionOptions {
  /** The TURN server's address (IP literal) and port. */
  server: { address: string; port: number };
  /** Long-term credential username. */
  username: string;
  /** Long-term credential password. */
  password: string;
  /** LIFETIME asked for in Allocate and Refresh. Default 600 s (RFC 8656 7.2 default); 30-3600. */
  lifetimeS?: number;
  /** Refresh this long before the allocation expires (at least at half its lifetime). Default 60 s; 1-600. */
  refreshMarginS?: number;
  /** CreatePermission refresh interval. Default 240 s; 1-299 (permissions last 300 s, RFC 8656 9). */
  permissionRefreshS?: number;
  /** ChannelBind refresh interval. Default 540 s; 1-599 (bindings last 600 s, RFC 8656 12). */
  channelRefreshS?: number;
  /** Rounds of 401/438 answered with new credentials or nonce before giving up. Default 3; 1-10. */
  maxAuthRetries?: number;
  /** Datagrams per peer held while its permission is being installed. Default 64; 0-4096. */
  maxQueuedPerPeer?: number;
  /** SOFTWARE attribute in requests. Default none. */
  software?: string;
  /** Append FINGERPRINT to requests (RFC 8489 14.7). Default true. */
  fingerprint?: boolean;
  /** Randomness for transaction IDs. Default: seeded from `seed` (tests); wrappers pass crypto randomness. */
  randomFill?: RandomFill;
  /** Seed of the default randomFill. Default 1. */
  seed?: number;
}

/** What the client reports through pollEvent(). */
export type TurnEvent =
  | { type: "allocated"; relayed: TransportAddress; mapped: TransportAddress | undefined; lifetimeS: number }
  | { type: "refreshed"; lifetimeS: number }
  | { type: "permission"; peer: TransportAddress }
  | { type: "channel"; peer: TransportAddress; channel: number }
  /** `data` is a view into the received datagram. */
  | { type: "data"; peer: TransportAddress; data: Uint8Array; viaChannel: boolean }
  | { type: "error"; error: TurnError; peer?: TransportAddress }
  | { type: "closed" };

/** The allocation's life. */
export type TurnClientState = "idle" | "allocating" | "allocated" | "closing" | "closed" | "failed";

/** Counters of a TurnClient. */
export interface TurnClientStats {
  [key: string]: number;
  requestsSent: number;
  retransmissions: number;
  responsesReceived: number;
  sendIndicationsSent: number;
  channelDataSent: number;
  dataIndicationsReceived: number;
  channelDataReceived: number;
  /** Payload bytes sent to / received from peers. */
  bytesSentToPeers: number;
  bytesReceivedFromPeers: number;
  /** Datagrams that were not STUN/ChannelData, did not parse, or matched nothing. */
  malformedDropped: number;
  unmatchedDropped: number;
  /** Responses whose MESSAGE-INTEGRITY was missing or wrong. */
  integrityFailures: number;
  /** Datagrams to peers dropped: no allocation, or the per-peer queue was full. */
  sendDropped: number;
  refreshes: number;
  staleNonces: number;
}

type RequestKind = "allocate" | "refresh" | "permission" | "channelBind";

interface PendingRequest {
  kind: RequestKind;
  tx: StunClientTransaction;
  authenticated: boolean;
  authRetries: number;
  build: (m: StunMessage) => void;
  method: number;
  peer?: TransportAddress;
  channel?: number;
  lifetimeS?: number;
}

interface Permission {
  peer: TransportAddress;
  installed: boolean;
  /** A CreatePermission or ChannelBind for it is outstanding. */
  pending: boolean;
  refreshAtUs: number | undefined;
  queue: { peer: TransportAddress; data: Uint8Array }[];
}

interface Channel {
  channel: number;
  peer: TransportAddress;
  bound: boolean;
  pending: boolean;
  refreshAtUs: number | undefined;
}

const peerKey = (a: TransportAddress): string => `${a.address}|${a.port}`;

/** The sans-IO TURN client (RFC 8656); see the file comment. */
export class TurnClient {
  /** The server's transport address. */
  readonly server: TransportAddress;
  private readonly username: string;
  private readonly password: string;
  private readonly lifetimeS: number;
  private readonly refreshMarginS: number;
  private readonly permissionRefreshUs: number;
  private readonly channelRefreshUs: number;
  private readonly maxAuthRetries: number;
  private readonly maxQueuedPerPeer: number;
  private readonly software: string | undefined;
  private readonly fingerprint: boolean;
  private readonly randomFill: RandomFill;
  private readonly txOptions: StunTransactionOptions;

  private stateValue: TurnClientState = "idle";
  private realm: string | undefined;
  private nonce: string | undefined;
  private key: Uint8Array | undefined;
  private relayedValue: TransportAddress | undefined;
  private mappedValue: TransportAddress | undefined;
  private refreshAtUs: number | undefined;
  private expiryUs: number | undefined;
  private refreshPending = false;
  private nextChannel = MIN_CHANNEL_NUMBER;
  private readonly pending = new Map<string, PendingRequest>();
  private readonly permissions = new Map<string, Permission>();
  private readonly channelsByPeer = new Map<string, Channel>();
  private readonly channelsByNumber = new Map<number, Channel>();
  private readonly transmitQueue: Uint8Array[] = [];
  private readonly eventQueue: TurnEvent[] = [];
  private readonly counters: TurnClientStats = {
    requestsSent: 0,
    retransmissions: 0,
    responsesReceived: 0,
    sendIndicationsSent: 0,
    channelDataSent: 0,
    dataIndicationsReceived: 0,
    channelDataReceived: 0,
    bytesSentToPeers: 0,
    bytesReceivedFromPeers: 0,
    malformedDropped: 0,
    unmatchedDropped: 0,
    integrityFailures: 0,
    sendDropped: 0,
    refreshes: 0,
    staleNonces: 0,
  };

  constructor(options: TurnClientOptions) {
    if (typeof options.username !== "string" || options.username.length === 0) throw new InvalidOptionError("Cannot make a TurnClient: username must be a non-empty string");
    if (typeof options.password !== "string") throw new InvalidOptionError("Cannot make a TurnClient: password must be a string");
    try {
      this.server = transportAddress(options.server.address, checkInt("server.port", options.server.port, 1, 65535));
    } catch (e) {
      if (e instanceof MalformedPacketError) throw new InvalidOptionError(`Cannot make a TurnClient: server address ${JSON.stringify(options.server.address)} is not an IP literal`);
      throw e;
    }
    this.username = options.username;
    this.password = options.password;
    this.lifetimeS = checkInt("lifetimeS", options.lifetimeS ?? 600, 30, 3600);
    this.refreshMarginS = checkRange("refreshMarginS", options.refreshMarginS ?? 60, 1, 600);
    this.permissionRefreshUs = checkRange("permissionRefreshS", options.permissionRefreshS ?? 240, 1, 299) * 1e6;
    this.channelRefreshUs = checkRange("channelRefreshS", options.channelRefreshS ?? 540, 1, 599) * 1e6;
    this.maxAuthRetries = checkInt("maxAuthRetries", options.maxAuthRetries ?? 3, 1, 10);
    this.maxQueuedPerPeer = checkInt("maxQueuedPerPeer", options.maxQueuedPerPeer ?? 64, 0, 4096);
    this.software = options.software;
    this.fingerprint = options.fingerprint ?? true;
    this.randomFill = options.randomFill ?? seededRandomFill(options.seed ?? 1);
    this.txOptions = {};
    if (options.rtoMs !== undefined) this.txOptions.rtoMs = options.rtoMs;
    if (options.maxTransmits !== undefined) this.txOptions.maxTransmits = options.maxTransmits;
    if (options.lastWaitRto !== undefined) this.txOptions.lastWaitRto = options.lastWaitRto;
    // Validate the transaction options now rather than at the first request.
    new StunClientTransaction(new Uint8Array(0), 0, this.txOptions);
  }

  /** The allocation's state. */
  get state(): TurnClientState {
    return this.stateValue;
  }

  /** XOR-RELAYED-ADDRESS of the allocation, once allocated. */
  get relayedAddress(): TransportAddress | undefined {
    return this.relayedValue;
  }

  /** XOR-MAPPED-ADDRESS the server reported in the Allocate response (our server-reflexive address). */
  get mappedAddress(): TransportAddress | undefined {
    return this.mappedValue;
  }

  /** When the allocation expires unless refreshed, once allocated. */
  get expiresAtUs(): number | undefined {
    return this.expiryUs;
  }

  /** Starts the allocation (RFC 8656 7.1). */
  allocate(nowUs: number): void {
    if (this.stateValue !== "idle") throw new InvalidOptionError(`Cannot allocate: the client is ${this.stateValue}; allocate once, on a new client`);
    this.stateValue = "allocating";
    this.request("allocate", StunMethod.allocate, nowUs, { lifetimeS: this.lifetimeS }, (m) => {
      m.add(T.requestedTransport, encodeRequestedTransport());
      m.addUint32(T.lifetime, this.lifetimeS);
    });
  }

  /** Sends a Refresh now (normally automatic before expiry, RFC 8656 7.2). */
  refresh(nowUs: number): void {
    if (this.stateValue !== "allocated" || this.refreshPending) return;
    this.refreshPending = true;
    this.request("refresh", StunMethod.refresh, nowUs, { lifetimeS: this.lifetimeS }, (m) => m.addUint32(T.lifetime, this.lifetimeS));
  }

  /** Installs a permission for `peer`'s IP address (RFC 8656 9), refreshed until close. */
  createPermission(peer: TransportAddress, nowUs: number): void {
    this.checkAllocated("create a permission");
    const perm = this.permissionFor(peer);
    if (perm.pending) return;
    this.sendCreatePermission(perm, nowUs);
  }

  /**
   * Binds a channel to `peer` (RFC 8656 12.1) and returns its number; until the binding
   * succeeds, data to the peer goes in Send indications. Binding the same peer again returns
   * the same channel.
   */
  bindChannel(peer: TransportAddress, nowUs: number): number {
    this.checkAllocated("bind a channel");
    const existing = this.channelsByPeer.get(peerKey(peer));
    if (existing) return existing.channel;
    if (this.nextChannel > MAX_CHANNEL_NUMBER) throw new InvalidOptionError("Cannot bind a channel: all 4096 channel numbers 0x4000-0x4FFF are in use");
    const ch: Channel = { channel: this.nextChannel++, peer, bound: false, pending: false, refreshAtUs: undefined };
    this.channelsByPeer.set(peerKey(peer), ch);
    this.channelsByNumber.set(ch.channel, ch);
    // The ChannelBind also installs the permission (RFC 8656 12.2).
    const perm = this.permissionFor(peer);
    if (!perm.installed) perm.pending = true;
    this.sendChannelBind(ch, nowUs);
    return ch.channel;
  }

  /**
   * Sends `data` to `peer` through the relay: ChannelData when a channel is bound, else a Send
   * indication. Without a permission, one is created and the data waits for it (bounded).
   */
  send(peer: TransportAddress, data: Uint8Array, nowUs: number): void {
    if (this.stateValue !== "allocated") {
      this.counters.sendDropped++;
      return;
    }
    const ch = this.channelsByPeer.get(peerKey(peer));
    if (ch?.bound) {
      this.transmitQueue.push(new ChannelData(ch.channel, data).serialize());
      this.counters.channelDataSent++;
      this.counters.bytesSentToPeers += data.length;
      return;
    }
    const perm = this.permissionFor(peer);
    if (perm.installed) {
      this.sendIndication(peer, data);
      return;
    }
    if (!perm.pending) this.sendCreatePermission(perm, nowUs);
    if (perm.queue.length >= this.maxQueuedPerPeer) {
      this.counters.sendDropped++;
      return;
    }
    perm.queue.push({ peer, data: data.slice() });
  }

  /** Releases the allocation: Refresh with LIFETIME 0 (RFC 8656 7.2); "closed" follows. */
  close(nowUs: number): void {
    if (this.stateValue === "allocated") {
      this.stateValue = "closing";
      this.cancelPending();
      this.request("refresh", StunMethod.refresh, nowUs, { lifetimeS: 0 }, (m) => m.addUint32(T.lifetime, 0));
      return;
    }
    if (this.stateValue === "closing" || this.stateValue === "closed") return;
    this.cancelPending();
    this.finishClose();
  }

  /** Handles one datagram from the TURN server. Malformed or unexpected input is dropped and counted. */
  receive(bytes: Uint8Array, nowUs: number): void {
    const kind = classifyDatagram(bytes);
    if (kind === "channel-data") {
      let cd: ChannelData;
      try {
        cd = ChannelData.parse(bytes);
      } catch {
        this.counters.malformedDropped++;
        return;
      }
      const ch = this.channelsByNumber.get(cd.channel);
      if (!ch) {
        this.counters.unmatchedDropped++;
        return;
      }
      this.counters.channelDataReceived++;
      this.counters.bytesReceivedFromPeers += cd.data.length;
      this.eventQueue.push({ type: "data", peer: ch.peer, data: cd.data, viaChannel: true });
      return;
    }
    if (kind !== "stun") {
      this.counters.malformedDropped++;
      return;
    }
    let m: StunMessage;
    try {
      m = StunMessage.parse(bytes);
    } catch {
      this.counters.malformedDropped++;
      return;
    }
    if (m.messageClass === StunClass.indication) {
      this.onIndication(m);
      return;
    }
    if (m.messageClass === StunClass.request) {
      this.counters.unmatchedDropped++;
      return;
    }
    const p = this.pending.get(m.transactionKey);
    if (!p || p.method !== m.method) {
      this.counters.unmatchedDropped++;
      return;
    }
    this.onResponse(p, m, nowUs);
  }

  /** Time-driven work: retransmissions, timeouts, refreshes of allocation, permissions, channels. */
  tick(nowUs: number): void {
    for (const [key, p] of [...this.pending]) {
      const action = p.tx.tick(nowUs);
      if (action === "retransmit") {
        this.transmitQueue.push(p.tx.request);
        this.counters.retransmissions++;
      } else if (action === "timeout") {
        this.pending.delete(key);
        this.fail(p, new TurnError("timeout", p.kind, `Cannot ${describe(p.kind)} on TURN server ${formatTransportAddress(this.server)}: no answer after ${p.tx.transmits} transmissions over ${(p.tx.elapsedUs(nowUs) / 1e6).toFixed(1)} s`));
      }
    }
    if (this.stateValue !== "allocated") return;
    if (this.refreshAtUs !== undefined && nowUs >= this.refreshAtUs) this.refresh(nowUs);
    for (const perm of this.permissions.values()) {
      if (perm.installed && !perm.pending && perm.refreshAtUs !== undefined && nowUs >= perm.refreshAtUs) this.sendCreatePermission(perm, nowUs);
    }
    for (const ch of this.channelsByNumber.values()) {
      if (ch.bound && !ch.pending && ch.refreshAtUs !== undefined && nowUs >= ch.refreshAtUs) this.sendChannelBind(ch, nowUs);
    }
  }

  /** When `tick` next has work, or undefined. */
  nextTimeoutUs(): number | undefined {
    let t = Infinity;
    for (const p of this.pending.values()) t = Math.min(t, p.tx.nextTimeoutUs() ?? Infinity);
    if (this.stateValue === "allocated") {
      if (this.refreshAtUs !== undefined && !this.refreshPending) t = Math.min(t, this.refreshAtUs);
      for (const perm of this.permissions.values()) if (perm.installed && !perm.pending && perm.refreshAtUs !== undefined) t = Math.min(t, perm.refreshAtUs);
      for (const ch of this.channelsByNumber.values()) if (ch.bound && !ch.pending && ch.refreshAtUs !== undefined) t = Math.min(t, ch.refreshAtUs);
    }
    return t === Infinity ? undefined : t;
  }

  /** The next datagram for the TURN server, or undefined. */
  pollTransmit(): Uint8Array | undefined {
    return this.transmitQueue.shift();
  }

  /** The next event, or undefined. */
  pollEvent(): TurnEvent | undefined {
    return this.eventQueue.shift();
  }

  /** The channel bound (or being bound) to `peer`, or undefined. */
  channelFor(peer: TransportAddress): number | undefined {
    return this.channelsByPeer.get(peerKey(peer))?.channel;
  }

  /** Counters. */
  stats(): TurnClientStats {
    return { ...this.counters };
  }

  // ---- internals ----

  private checkAllocated(what: string): void {
    if (this.stateValue !== "allocated") throw new InvalidOptionError(`Cannot ${what}: the allocation is ${this.stateValue}; wait for the "allocated" event`);
  }

  private permissionFor(peer: TransportAddress): Permission {
    let perm = this.permissions.get(peer.address);
    if (!perm) {
      perm = { peer, installed: false, pending: false, refreshAtUs: undefined, queue: [] };
      this.permissions.set(peer.address, perm);
    }
    return perm;
  }

  private sendCreatePermission(perm: Permission, nowUs: number): void {
    perm.pending = true;
    this.request("permission", StunMethod.createPermission, nowUs, { peer: perm.peer }, (m) => m.addXorAddress(T.xorPeerAddress, perm.peer));
  }

  private sendChannelBind(ch: Channel, nowUs: number): void {
    ch.pending = true;
    this.request("channelBind", StunMethod.channelBind, nowUs, { peer: ch.peer, channel: ch.channel }, (m) => {
      m.add(T.channelNumber, encodeChannelNumber(ch.channel));
      m.addXorAddress(T.xorPeerAddress, ch.peer);
    });
  }

  private sendIndication(peer: TransportAddress, data: Uint8Array): void {
    const m = new StunMessage({ messageClass: StunClass.indication, method: StunMethod.send, transactionId: newTransactionId(this.randomFill) });
    m.addXorAddress(T.xorPeerAddress, peer);
    m.add(T.data, data);
    this.transmitQueue.push(m.serialize());
    this.counters.sendIndicationsSent++;
    this.counters.bytesSentToPeers += data.length;
  }

  private request(kind: RequestKind, method: number, nowUs: number, meta: { peer?: TransportAddress; channel?: number; lifetimeS?: number }, build: (m: StunMessage) => void, authRetries = 0): void {
    const m = new StunMessage({ messageClass: StunClass.request, method, transactionId: newTransactionId(this.randomFill) });
    build(m);
    if (this.software !== undefined) m.addText(T.software, this.software);
    const authenticated = this.key !== undefined;
    if (authenticated) {
      m.addText(T.username, this.username);
      m.addText(T.realm, this.realm!);
      m.addText(T.nonce, this.nonce!);
    }
    const bytes = m.serialize({ ...(authenticated ? { integrityKey: this.key! } : {}), fingerprint: this.fingerprint });
    const tx = new StunClientTransaction(bytes, nowUs, this.txOptions);
    const p: PendingRequest = { kind, tx, authenticated, authRetries, build, method, ...meta };
    this.pending.set(m.transactionKey, p);
    this.transmitQueue.push(bytes);
    this.counters.requestsSent++;
  }

  private onIndication(m: StunMessage): void {
    if (m.method !== StunMethod.data) {
      this.counters.unmatchedDropped++;
      return;
    }
    const peer = m.getXorAddress(T.xorPeerAddress);
    const data = m.get(T.data);
    if (!peer || !data) {
      this.counters.malformedDropped++;
      return;
    }
    this.counters.dataIndicationsReceived++;
    this.counters.bytesReceivedFromPeers += data.length;
    this.eventQueue.push({ type: "data", peer, data, viaChannel: false });
  }

  private onResponse(p: PendingRequest, m: StunMessage, nowUs: number): void {
    const key = m.transactionKey;
    if (m.messageClass === StunClass.errorResponse) {
      const e = m.errorCode;
      const code = e?.code ?? 0;
      // An error response to an authenticated request with a MESSAGE-INTEGRITY that does not
      // verify is forged or damaged: drop it and let the transaction go on (RFC 8489 9.2.5).
      if (p.authenticated && m.hasMessageIntegrity && !m.verifyIntegrity(this.key!)) {
        this.counters.integrityFailures++;
        return;
      }
      this.pending.delete(key);
      p.tx.complete(nowUs);
      this.counters.responsesReceived++;
      const realm = m.getText(T.realm);
      const nonce = m.getText(T.nonce);
      if (code === 401 && !p.authenticated && realm !== undefined && nonce !== undefined && p.authRetries < this.maxAuthRetries) {
        // RFC 8489 9.2.5: the first 401 brings the realm and nonce; retry with credentials.
        this.realm = realm;
        this.nonce = nonce;
        this.key = longTermKey(this.username, realm, this.password);
        this.retry(p, nowUs);
        return;
      }
      if (code === 438 && nonce !== undefined && p.authRetries < this.maxAuthRetries) {
        // RFC 8489 9.2.5: Stale Nonce: take the new one and retry.
        this.counters.staleNonces++;
        this.nonce = nonce;
        if (realm !== undefined && realm !== this.realm) {
          this.realm = realm;
          this.key = longTermKey(this.username, realm, this.password);
        }
        this.retry(p, nowUs);
        return;
      }
      const reason = e?.reason ?? "";
      const kind = code === 438 ? "rejected" : turnErrorKind(code);
      let detail = `${code} ${reason}`.trim();
      if (kind === "unauthorized") detail = `wrong credentials for user ${JSON.stringify(this.username)} (${detail})`;
      else if (code === 438) detail = `stale nonce after ${p.authRetries} retries (${detail})`;
      else if (kind === "quota") detail = `allocation quota reached (${detail})`;
      else if (kind === "capacity") detail = `server out of capacity (${detail})`;
      else if (kind === "forbidden") detail = `forbidden (${detail})${p.peer ? ` for peer ${formatTransportAddress(p.peer)}` : ""}`;
      else if (kind === "mismatch") detail = `no such allocation (${detail})`;
      this.fail(p, new TurnError(kind, p.kind, `Cannot ${describe(p.kind)} on TURN server ${formatTransportAddress(this.server)}: ${detail}`, code));
      return;
    }
    // Success response: must be integrity-protected when the request was (RFC 8489 9.2.5).
    if (p.authenticated && (!(m.hasMessageIntegrity || m.hasMessageIntegritySha256) || !m.verifyIntegrity(this.key!))) {
      this.counters.integrityFailures++;
      return;
    }
    this.pending.delete(key);
    p.tx.complete(nowUs);
    this.counters.responsesReceived++;
    switch (p.kind) {
      case "allocate":
        this.onAllocated(m, nowUs);
        return;
      case "refresh":
        this.onRefreshed(p, m, nowUs);
        return;
      case "permission":
        this.onPermission(p.peer!, nowUs);
        return;
      case "channelBind":
        this.onChannelBound(p, nowUs);
        return;
    }
  }

  private retry(p: PendingRequest, nowUs: number): void {
    this.request(p.kind, p.method, nowUs, { ...(p.peer ? { peer: p.peer } : {}), ...(p.channel !== undefined ? { channel: p.channel } : {}), ...(p.lifetimeS !== undefined ? { lifetimeS: p.lifetimeS } : {}) }, p.build, p.authRetries + 1);
  }

  private onAllocated(m: StunMessage, nowUs: number): void {
    const relayed = m.getXorAddress(T.xorRelayedAddress);
    if (!relayed) {
      this.stateValue = "failed";
      this.eventQueue.push({ type: "error", error: new TurnError("rejected", "allocate", `Cannot allocate on TURN server ${formatTransportAddress(this.server)}: the success response has no XOR-RELAYED-ADDRESS`) });
      return;
    }
    this.relayedValue = relayed;
    this.mappedValue = m.getXorAddress(T.xorMappedAddress);
    const lifetimeS = m.getUint32(T.lifetime) ?? this.lifetimeS;
    this.stateValue = "allocated";
    this.scheduleRefresh(lifetimeS, nowUs);
    this.eventQueue.push({ type: "allocated", relayed, mapped: this.mappedValue, lifetimeS });
  }

  private onRefreshed(p: PendingRequest, m: StunMessage, nowUs: number): void {
    if (p.lifetimeS === 0) {
      this.finishClose();
      return;
    }
    this.refreshPending = false;
    this.counters.refreshes++;
    const lifetimeS = m.getUint32(T.lifetime) ?? this.lifetimeS;
    this.scheduleRefresh(lifetimeS, nowUs);
    this.eventQueue.push({ type: "refreshed", lifetimeS });
  }

  private scheduleRefresh(lifetimeS: number, nowUs: number): void {
    this.expiryUs = nowUs + lifetimeS * 1e6;
    const before = Math.max(lifetimeS - this.refreshMarginS, lifetimeS / 2);
    this.refreshAtUs = nowUs + before * 1e6;
  }

  private onPermission(peer: TransportAddress, nowUs: number): void {
    const perm = this.permissionFor(peer);
    const first = !perm.installed;
    perm.installed = true;
    perm.pending = false;
    perm.refreshAtUs = nowUs + this.permissionRefreshUs;
    if (first) this.eventQueue.push({ type: "permission", peer: perm.peer });
    this.flush(perm);
  }

  private onChannelBound(p: PendingRequest, nowUs: number): void {
    const ch = this.channelsByNumber.get(p.channel!);
    if (!ch) return;
    const first = !ch.bound;
    ch.bound = true;
    ch.pending = false;
    ch.refreshAtUs = nowUs + this.channelRefreshUs;
    const perm = this.permissionFor(ch.peer);
    if (!perm.installed) {
      perm.installed = true;
      perm.pending = false;
      perm.refreshAtUs = nowUs + this.permissionRefreshUs;
    }
    if (first) this.eventQueue.push({ type: "channel", peer: ch.peer, channel: ch.channel });
    this.flush(perm);
  }

  private flush(perm: Permission): void {
    const queued = perm.queue.splice(0);
    for (const q of queued) {
      const ch = this.channelsByPeer.get(peerKey(q.peer));
      if (ch?.bound) {
        this.transmitQueue.push(new ChannelData(ch.channel, q.data).serialize());
        this.counters.channelDataSent++;
        this.counters.bytesSentToPeers += q.data.length;
      } else {
        this.sendIndication(q.peer, q.data);
      }
    }
  }

  private fail(p: PendingRequest, error: TurnError): void {
    switch (p.kind) {
      case "allocate":
        this.stateValue = "failed";
        this.eventQueue.push({ type: "error", error });
        return;
      case "refresh":
        if (this.stateValue === "closing") {
          this.finishClose();
          return;
        }
        this.refreshPending = false;
        this.stateValue = "failed";
        this.cancelPending();
        this.eventQueue.push({ type: "error", error });
        return;
      case "permission": {
        const perm = this.permissions.get(p.peer!.address);
        if (perm) {
          perm.pending = false;
          this.counters.sendDropped += perm.queue.length;
          perm.queue.length = 0;
          if (!perm.installed) this.permissions.delete(p.peer!.address);
        }
        this.eventQueue.push({ type: "error", error, peer: p.peer! });
        return;
      }
      case "channelBind": {
        const ch = this.channelsByNumber.get(p.channel!);
        if (ch) {
          ch.pending = false;
          if (!ch.bound) {
            this.channelsByNumber.delete(ch.channel);
            this.channelsByPeer.delete(peerKey(ch.peer));
          }
        }
        const perm = this.permissions.get(p.peer!.address);
        if (perm && !perm.installed) {
          this.counters.sendDropped += perm.queue.length;
          this.permissions.delete(p.peer!.address);
        }
        this.eventQueue.push({ type: "error", error, peer: p.peer! });
        return;
      }
    }
  }

  private cancelPending(): void {
    this.pending.clear();
    this.refreshPending = false;
  }

  private finishClose(): void {
    this.stateValue = "closed";
    this.pending.clear();
    this.permissions.clear();
    this.channelsByNumber.clear();
    this.channelsByPeer.clear();
    this.eventQueue.push({ type: "closed" });
  }
}

function describe(kind: RequestKind): string {
  switch (kind) {
    case "allocate":
      return "allocate";
    case "refresh":
      return "refresh the allocation";
    case "permission":
      return "create a permission";
    case "channelBind":
      return "bind a channel";
  }
}
