/**
 * An ICE agent (RFC 8445) as a sans-IO core, one data stream with one component (RTP and RTCP
 * multiplexed). Inputs: `handleDatagram(data, from, localSocketId, nowUs)`, `tick(nowUs)`, and
 * user commands (gather, addRemoteCandidate, setRemoteCredentials, send, restart). Each returns
 * an `IceOutput`: the datagrams to send (socket id, destination) and the events (gathered
 * candidate, selected pair changed, media data, disconnected, consent lost, failed);
 * `nextTimeoutUs()` says when to call `tick`. No socket, no clock, no timers.
 *
 * What it implements:
 * - Gathering (5.1.1): a host candidate per local socket; server-reflexive ones by a STUN
 *   Binding request (RFC 8489, the stun-binding helpers) to each STUN server and each TURN
 *   server; a relayed one through a TurnClient (RFC 8656) run over the same socket.
 * - Several TURN servers: a Binding request to each measures its round trip (the first
 *   transmission's answer, Karn's rule); when all answered, or `turnProbeTimeoutMs` passed,
 *   the agent allocates on the server of the lowest RTT only, and on the next one if that
 *   allocation fails. So relayed media takes the closest relay.
 * - Priorities (5.1.2), foundations (5.1.1.3), pairs and their priority (6.1.2.3), pruning
 *   (6.1.2.4: a server-reflexive local candidate is replaced by its base), the checklist states
 *   Frozen/Waiting/In-Progress/Succeeded/Failed with the initial unfreezing (6.1.2.6), one check
 *   each Ta (6.1.4.2, triggered checks first), retransmissions (RFC 8489 6.2.1).
 * - Checks (7.2) with short-term credentials (USERNAME "remote:local", MESSAGE-INTEGRITY with
 *   the peer's password, FINGERPRINT), PRIORITY, ICE-CONTROLLING/ICE-CONTROLLED and, when
 *   nominating, USE-CANDIDATE; responses checked for integrity and symmetric addresses
 *   (7.2.5.2.1); peer-reflexive candidates learnt from both requests (7.3.1.3) and responses
 *   (7.2.5.3.1); triggered checks (7.3.1.4); role conflicts by tie-breaker and 487 (7.3.1.1,
 *   7.2.5.1).
 * - Regular nomination (8.1.1): the controlling agent nominates the best valid pair once no
 *   pair of higher priority is still pending, or `nominationTimeoutMs` after the first valid
 *   pair; the nominated pair becomes the selected pair on both sides.
 * - Consent freshness (RFC 7675 5.1): a Binding check on the selected pair every
 *   `consentIntervalMs` randomized by ±20%; no answer for `consentTimeoutMs` → "consent-lost",
 *   media stops. Nothing received from the peer for `receiveTimeoutMs` → "disconnected" (the
 *   hint an owner uses to restart early, long before consent expires).
 * - ICE restart (9): new ufrag/pwd, gather again; the old selected pair (and its credentials)
 *   keeps carrying media until a pair of the new generation is selected.
 * - Bad input: wrong credentials, forged or malformed STUN, media from unknown addresses and
 *   check floods beyond `maxChecksPerSecond` are dropped and counted in stats().
 */
import { checkInt, checkOneOf, InvalidOptionError, MalformedPacketError } from "../errors.js";
import { classifyDatagram } from "../turn/classify-datagram.js";
import { TurnClient, type TurnEvent } from "../turn/turn-client.js";
import { bindingResponseAddress, createBindingError, createBindingRequest, createBindingSuccess } from "../stun/stun-binding.js";
import { StunAttributeType as T } from "../stun/stun-attribute-type.js";
import { shortTermKey } from "../stun/stun-credentials.js";
import { StunMessage } from "../stun/stun-message.js";
import { StunClass, StunMethod } from "../stun/stun-message-type.js";
import { StunClientTransaction } from "../stun/stun-transaction.js";
import { newTransactionId, seededRandomFill, type RandomFill } from "../stun/transaction-id.js";
import { formatTransportAddress, sameTransportAddress, transportAddress, type TransportAddress } from "../stun/transport-address.js";
import { SeededRandom } from "../util/seeded-random.js";
import { candidatePairPriority } from "./candidate-pair-priority.js";
import { candidateFoundation, candidatePriority, type IceCandidate } from "./ice-candidate.js";

/** A STUN server for server-reflexive candidates. */
export interface IceStunServer {
  address: string;
  port: number;
}

/** A TURN server (long-term credentials) for relayed candidates. */
export interface IceTurnServer extends IceStunServer {
  username: string;
  password: string;
}

/** The agent's role (RFC 8445 6.1.1). */
export type IceRole = "controlling" | "controlled";

/** Which local candidates take part: all, or relayed only (forced relay). */
export type IcePolicy = "all" | "relay";

/** Options of an IceAgent. */
export interface IceAgentOptions {
  /** Initial role. Default "controlling". */
  role?: IceRole;
  /** Local ufrag, 4-256 ice-chars. Default random (8 chars). */
  ufrag?: string;
  /** Local password, 22-256 ice-chars. Default random (24 chars). */
  pwd?: string;
  /** Tie-breaker (RFC 8445 7.1.1). Default random 64 bits. */
  tieBreaker?: bigint;
  /** Ta, the pacing of checks (RFC 8445 14.2). Default 50 ms; 5-1000. */
  taMs?: number;
  /** RTO of connectivity checks. Default 500 ms (RFC 8445 14.3); 10-5000. */
  checkRtoMs?: number;
  /** Transmissions of one check. Default 5; 1-10. */
  checkMaxTransmits?: number;
  /** RTO of gathering requests (Binding to STUN/TURN servers). Default 250 ms; 10-5000. */
  gatherRtoMs?: number;
  /** Wait for all TURN servers' RTT probes at most this long. Default 1000 ms; 10-10000. */
  turnProbeTimeoutMs?: number;
  /** Nominate the best valid pair at the latest this long after the first valid pair. Default 1000 ms; 0-30000. */
  nominationTimeoutMs?: number;
  /** Consent check interval (RFC 7675 5.1), randomized ±20%. Default 5000 ms; 100-60000. */
  consentIntervalMs?: number;
  /** Consent is lost after this long without a response (RFC 7675 5.1). Default 30000 ms; 500-300000. */
  consentTimeoutMs?: number;
  /**
   * "disconnected" after this long without anything (media or STUN) from the peer on the
   * selected pair. Default 7500 ms, above the longest consent interval (6 s) so an idle but
   * healthy pair does not flap; 50-60000.
   */
  receiveTimeoutMs?: number;
  /** Inbound Binding requests per second beyond which they are dropped (token bucket). Default 200; 1-100000. */
  maxChecksPerSecond?: number;
  /** Upper bound of the checklist (RFC 8445 6.1.2.5). Default 100; 1-1000. */
  maxPairs?: number;
  /** Candidate policy. Default "all". */
  policy?: IcePolicy;
  /** STUN servers asked for server-reflexive candidates. Default none. */
  stunServers?: IceStunServer[];
  /** TURN servers; the one of the lowest measured RTT gives the relayed candidate. Default none. */
  turnServers?: IceTurnServer[];
  /** TURN allocation lifetime. Default 600 s. */
  turnLifetimeS?: number;
  /** Randomness (ufrag/pwd, tie-breaker, transaction IDs, consent jitter). Default seeded from `seed`. */
  randomFill?: RandomFill;
  /** Seed of the default randomFill. Default 1. */
  seed?: number;
}

/** A datagram the owner must send from socket `socketId` to `to`. */
export interface IceTransmit {
  socketId: number;
  to: TransportAddress;
  data: Uint8Array;
}

/** The selected pair as the owner sees it. */
export interface IceSelectedPair {
  local: IceCandidate;
  remote: IceCandidate;
  /** Socket the pair sends from. */
  socketId: number;
  /** The local ufrag of the generation the pair belongs to. */
  ufrag: string;
}

/** What the agent reports. */
export type IceEvent =
  | { type: "candidate"; candidate: IceCandidate; ufrag: string }
  | { type: "gathering-complete"; ufrag: string }
  | { type: "selected-pair"; pair: IceSelectedPair }
  /** A local restart (by `restart` or answering the peer's): signal the new credentials. */
  | { type: "restarted"; ufrag: string; pwd: string }
  | { type: "role-changed"; role: IceRole }
  | { type: "turn-selected"; server: TransportAddress; rttMs: number | undefined }
  | { type: "turn-error"; server: TransportAddress; message: string }
  /** A non-STUN datagram (media) from the peer; `data` is a view valid during this call. */
  | { type: "data"; data: Uint8Array; socketId: number; from: TransportAddress }
  | { type: "disconnected" }
  | { type: "reconnected" }
  | { type: "consent-lost" }
  | { type: "failed"; reason: string };

/** What each input returns. */
export interface IceOutput {
  transmits: IceTransmit[];
  events: IceEvent[];
}

/** The checklist states (RFC 8445 6.1.2.6). */
export type IcePairState = "frozen" | "waiting" | "in-progress" | "succeeded" | "failed";

/** Counters of an IceAgent. */
export interface IceAgentStats {
  [key: string]: number;
  checksSent: number;
  checkRetransmissions: number;
  checksReceived: number;
  triggeredChecks: number;
  successResponses: number;
  errorResponses: number;
  roleConflicts: number;
  /** Requests with an unknown USERNAME or a MESSAGE-INTEGRITY that did not verify. */
  authFailures: number;
  /** Responses whose integrity failed, or that matched no transaction. */
  responsesDropped: number;
  /** Datagrams that did not parse. */
  malformedDropped: number;
  /** Inbound checks dropped by the rate limit. */
  checksRateLimited: number;
  /** Media from an address with no valid pair. */
  mediaUnknownSource: number;
  /** Media the owner asked to send with no selected pair (or consent lost). */
  mediaSendDropped: number;
  mediaSent: number;
  mediaReceived: number;
  consentChecksSent: number;
  consentResponses: number;
  peerReflexiveRemote: number;
  peerReflexiveLocal: number;
  restarts: number;
  pairs: number;
}

interface LocalSocket {
  id: number;
  address: TransportAddress;
  index: number;
}

interface TurnEntry {
  socketId: number;
  server: TransportAddress;
  config: IceTurnServer;
  client: TurnClient;
  gen: Generation;
  relay: LocalCandidate | undefined;
  closed: boolean;
}

interface LocalCandidate {
  id: number;
  candidate: IceCandidate;
  socketId: number;
  /** Base (RFC 8445 5.1.1.1): the host address for host/srflx/prflx, itself for relay. */
  base: TransportAddress;
  turn: TurnEntry | undefined;
}

interface Pair {
  id: number;
  gen: Generation;
  local: LocalCandidate;
  remote: IceCandidate;
  priority: bigint;
  foundation: string;
  state: IcePairState;
  nominated: boolean;
  nominateOnSuccess: boolean;
  /** The outstanding check's transaction key. */
  txKey: string | undefined;
}

interface Generation {
  ufrag: string;
  pwd: string;
  key: Uint8Array;
  remoteUfrag: string | undefined;
  remotePwd: string | undefined;
  remoteKey: Uint8Array | undefined;
  locals: LocalCandidate[];
  remotes: IceCandidate[];
  pairs: Pair[];
  triggered: Pair[];
  remoteEnd: boolean;
  gatherPending: number;
  gatheringDone: boolean;
  firstValidUs: number | undefined;
  failedReported: boolean;
  turnProbes: Map<number, { server: IceTurnServer; rttUs: number | undefined; done: boolean }[]>;
  turnProbeDeadlineUs: Map<number, number>;
}

type TxKind = "check" | "consent" | "gather";

interface Tx {
  kind: TxKind;
  tx: StunClientTransaction;
  socketId: number;
  to: TransportAddress;
  pair?: Pair;
  useCandidate?: boolean;
  roleSent?: IceRole;
  gen: Generation;
  server?: TransportAddress;
  turnProbe?: { server: IceTurnServer; rttUs: number | undefined; done: boolean };
}

const ICE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ICE_CHARS_RE = /^[A-Za-z0-9+/]+$/;
const addrKey = (a: TransportAddress): string => `${a.address}|${a.port}`;

/** The sans-IO ICE agent (RFC 8445); see the file comment. */
export class IceAgent {
  private roleValue: IceRole;
  private readonly tieBreakerValue: bigint;
  private readonly taUs: number;
  private readonly checkRtoMs: number;
  private readonly checkMaxTransmits: number;
  private readonly gatherRtoMs: number;
  private readonly turnProbeTimeoutUs: number;
  private readonly nominationTimeoutUs: number;
  private readonly consentIntervalUs: number;
  private readonly consentTimeoutUs: number;
  private receiveTimeoutUs: number;
  private readonly maxChecksPerSecond: number;
  private readonly maxPairs: number;
  private readonly policy: IcePolicy;
  private readonly stunServers: TransportAddress[];
  private readonly turnServers: IceTurnServer[];
  private readonly turnLifetimeS: number;
  private readonly randomFill: RandomFill;
  private readonly rng: SeededRandom;

  private readonly sockets: LocalSocket[] = [];
  private gen: Generation;
  /** The generation before a restart, kept until a pair of the new one is selected. */
  private previous: Generation | undefined;
  private readonly turns: TurnEntry[] = [];
  private readonly txs = new Map<string, Tx>();
  private selected: Pair | undefined;
  private nextCheckUs = 0;
  private nextConsentUs: number | undefined;
  private lastConsentOkUs = 0;
  private lastReceivedUs = 0;
  private disconnected = false;
  private consentLost = false;
  private gathered = false;
  private closed = false;
  /** The latest time an input carried, for work that inputs without a time trigger. */
  private lastNowUs = 0;
  private bucketTokens: number;
  private bucketAtUs = 0;
  private nextId = 1;
  private prflxCount = 0;
  private outTransmits: IceTransmit[] = [];
  private outEvents: IceEvent[] = [];
  private readonly counters: IceAgentStats = {
    checksSent: 0,
    checkRetransmissions: 0,
    checksReceived: 0,
    triggeredChecks: 0,
    successResponses: 0,
    errorResponses: 0,
    roleConflicts: 0,
    authFailures: 0,
    responsesDropped: 0,
    malformedDropped: 0,
    checksRateLimited: 0,
    mediaUnknownSource: 0,
    mediaSendDropped: 0,
    mediaSent: 0,
    mediaReceived: 0,
    consentChecksSent: 0,
    consentResponses: 0,
    peerReflexiveRemote: 0,
    peerReflexiveLocal: 0,
    restarts: 0,
    pairs: 0,
  };

  constructor(options: IceAgentOptions = {}) {
    this.roleValue = checkOneOf("role", options.role ?? "controlling", ["controlling", "controlled"]);
    this.taUs = checkInt("taMs", options.taMs ?? 50, 5, 1000) * 1000;
    this.checkRtoMs = checkInt("checkRtoMs", options.checkRtoMs ?? 500, 10, 5000);
    this.checkMaxTransmits = checkInt("checkMaxTransmits", options.checkMaxTransmits ?? 5, 1, 10);
    this.gatherRtoMs = checkInt("gatherRtoMs", options.gatherRtoMs ?? 250, 10, 5000);
    this.turnProbeTimeoutUs = checkInt("turnProbeTimeoutMs", options.turnProbeTimeoutMs ?? 1000, 10, 10_000) * 1000;
    this.nominationTimeoutUs = checkInt("nominationTimeoutMs", options.nominationTimeoutMs ?? 1000, 0, 30_000) * 1000;
    this.consentIntervalUs = checkInt("consentIntervalMs", options.consentIntervalMs ?? 5000, 100, 60_000) * 1000;
    this.consentTimeoutUs = checkInt("consentTimeoutMs", options.consentTimeoutMs ?? 30_000, 500, 300_000) * 1000;
    this.receiveTimeoutUs = checkInt("receiveTimeoutMs", options.receiveTimeoutMs ?? 7500, 50, 60_000) * 1000;
    this.maxChecksPerSecond = checkInt("maxChecksPerSecond", options.maxChecksPerSecond ?? 200, 1, 100_000);
    this.maxPairs = checkInt("maxPairs", options.maxPairs ?? 100, 1, 1000);
    this.policy = checkOneOf("policy", options.policy ?? "all", ["all", "relay"]);
    this.turnLifetimeS = checkInt("turnLifetimeS", options.turnLifetimeS ?? 600, 30, 3600);
    this.bucketTokens = this.maxChecksPerSecond;
    this.stunServers = (options.stunServers ?? []).map((s, i) => serverAddress(s, `stunServers[${i}]`));
    this.turnServers = (options.turnServers ?? []).map((s, i) => {
      serverAddress(s, `turnServers[${i}]`);
      if (typeof s.username !== "string" || s.username.length === 0 || typeof s.password !== "string") throw new InvalidOptionError(`Cannot use turnServers[${i}]: username and password must be strings, the username non-empty`);
      return { ...s };
    });
    this.randomFill = options.randomFill ?? seededRandomFill(options.seed ?? 1);
    const seedBytes = new Uint8Array(4);
    this.randomFill(seedBytes);
    this.rng = new SeededRandom(new DataView(seedBytes.buffer).getUint32(0));
    if (options.tieBreaker !== undefined) {
      if (typeof options.tieBreaker !== "bigint" || options.tieBreaker < 0n || options.tieBreaker >= 1n << 64n) throw new InvalidOptionError("Cannot use tieBreaker: allowed is a bigint from 0 to 2^64-1");
      this.tieBreakerValue = options.tieBreaker;
    } else {
      const b = new Uint8Array(8);
      this.randomFill(b);
      this.tieBreakerValue = new DataView(b.buffer).getBigUint64(0);
    }
    this.gen = this.newGeneration(options.ufrag, options.pwd);
  }

  // ---- accessors ----

  /** The current role. */
  get role(): IceRole {
    return this.roleValue;
  }

  /** The tie-breaker (RFC 8445 7.1.1). */
  get tieBreaker(): bigint {
    return this.tieBreakerValue;
  }

  /** The local credentials of the current generation, for signaling. */
  get localCredentials(): { ufrag: string; pwd: string } {
    return { ufrag: this.gen.ufrag, pwd: this.gen.pwd };
  }

  /** Local candidates of the current generation (host, srflx, relay; learnt prflx included). */
  get localCandidates(): IceCandidate[] {
    return this.gen.locals.map((l) => l.candidate);
  }

  /** Remote candidates of the current generation (signaled and learnt peer-reflexive). */
  get remoteCandidates(): IceCandidate[] {
    return [...this.gen.remotes];
  }

  /** The selected pair, or undefined. */
  /**
   * Changes how long nothing from the peer means "disconnected" (e.g. short once media flows
   * continuously, so a path change is noticed in well under a second). 50-60000 ms.
   */
  setReceiveTimeoutMs(ms: number): void {
    this.receiveTimeoutUs = checkInt("receiveTimeoutMs", ms, 50, 60_000) * 1000;
  }

  get selectedPair(): IceSelectedPair | undefined {
    return this.selected ? describePair(this.selected) : undefined;
  }

  /** True while media can flow: a selected pair whose consent holds. */
  get connected(): boolean {
    return this.selected !== undefined && !this.consentLost;
  }

  /** The checklist of the current generation, highest priority first (for tests and reports). */
  checklist(): { local: IceCandidate; remote: IceCandidate; state: IcePairState; priority: bigint; nominated: boolean }[] {
    return this.gen.pairs.map((p) => ({ local: p.local.candidate, remote: p.remote, state: p.state, priority: p.priority, nominated: p.nominated }));
  }

  /** Round trips measured to each TURN server in the current generation (undefined: no answer). */
  turnRtts(): { server: TransportAddress; rttMs: number | undefined }[] {
    const out: { server: TransportAddress; rttMs: number | undefined }[] = [];
    for (const list of this.gen.turnProbes.values()) for (const p of list) out.push({ server: transportAddress(p.server.address, p.server.port), rttMs: p.rttUs === undefined ? undefined : p.rttUs / 1000 });
    return out;
  }

  /** The TurnClient serving the relayed candidate of the selected pair, if any. */
  get selectedTurnClient(): TurnClient | undefined {
    return this.selected?.local.turn?.client;
  }

  /** Counters. */
  stats(): IceAgentStats {
    let pairs = this.gen.pairs.length;
    if (this.previous) pairs += this.previous.pairs.length;
    return { ...this.counters, pairs };
  }

  // ---- inputs ----

  /** Registers a local UDP socket (its bound address); its host candidate comes with `gather`. */
  addLocalSocket(socketId: number, address: TransportAddress): IceOutput {
    checkInt("socketId", socketId, 0, 2 ** 31 - 1);
    if (this.sockets.some((s) => s.id === socketId)) throw new InvalidOptionError(`Cannot add local socket ${socketId}: the id is taken`);
    this.sockets.push({ id: socketId, address, index: this.sockets.length });
    if (this.gathered) this.gatherSocket(this.gen, this.sockets[this.sockets.length - 1]!, this.lastNowUs);
    return this.drain();
  }

  /** Starts gathering (RFC 8445 5.1.1): host candidates now, srflx and relay as answers come. */
  gather(nowUs: number): IceOutput {
    this.lastNowUs = nowUs;
    if (this.closed) return this.drain();
    if (this.gathered) return this.drain();
    if (this.sockets.length === 0) throw new InvalidOptionError("Cannot gather: no local socket; call addLocalSocket first");
    this.gathered = true;
    for (const s of this.sockets) this.gatherSocket(this.gen, s, nowUs);
    this.checkGatheringDone(this.gen);
    return this.drain();
  }

  /** Sets the peer's ufrag and password. New values after a connection mean the peer restarted: this agent restarts too (RFC 8445 9). */
  setRemoteCredentials(ufrag: string, pwd: string, nowUs: number): IceOutput {
    this.lastNowUs = nowUs;
    if (typeof ufrag !== "string" || !ICE_CHARS_RE.test(ufrag) || ufrag.length < 4 || ufrag.length > 256) throw new InvalidOptionError(`Cannot set remote credentials: ufrag ${JSON.stringify(String(ufrag).slice(0, 40))} must be 4-256 ice-chars`);
    if (typeof pwd !== "string" || !ICE_CHARS_RE.test(pwd) || pwd.length < 22 || pwd.length > 256) throw new InvalidOptionError("Cannot set remote credentials: pwd must be 22-256 ice-chars");
    const g = this.gen;
    if (g.remoteUfrag === ufrag && g.remotePwd === pwd) return this.drain();
    if (this.previous && this.previous.remoteUfrag === ufrag) return this.drain(); // late signaling of the old generation
    if (g.remoteUfrag !== undefined) {
      // The peer restarted; answer with our own restart (new credentials, gather again).
      this.doRestart(nowUs);
    }
    const cur = this.gen;
    cur.remoteUfrag = ufrag;
    cur.remotePwd = pwd;
    cur.remoteKey = shortTermKey(pwd);
    this.armChecks(nowUs);
    return this.drain();
  }

  /** Adds a remote candidate (trickle: at any time). Candidates of other components or families are ignored. */
  addRemoteCandidate(candidate: IceCandidate, nowUs: number): IceOutput {
    this.lastNowUs = nowUs;
    const g = this.gen;
    if (candidate.component !== 1 || candidate.transport.toLowerCase() !== "udp") return this.drain();
    if (g.remotes.some((r) => sameTransportAddress(r.address, candidate.address))) return this.drain();
    g.remotes.push(candidate);
    for (const l of g.locals) this.addPair(g, l, candidate);
    this.armChecks(nowUs);
    return this.drain();
  }

  /** The peer signaled end-of-candidates (RFC 8838 13): failure can now be declared. */
  setRemoteEndOfCandidates(nowUs: number): IceOutput {
    this.lastNowUs = nowUs;
    this.gen.remoteEnd = true;
    this.checkFailed();
    return this.drain();
  }

  /** ICE restart (RFC 8445 9): new ufrag/pwd, gather again; media stays on the old pair until a new one is selected. */
  restart(nowUs: number): IceOutput {
    this.lastNowUs = nowUs;
    this.doRestart(nowUs);
    return this.drain();
  }

  /** Sends media on the selected pair (through the relay when it is relayed). Dropped and counted without one. */
  send(data: Uint8Array, nowUs: number): IceOutput {
    const p = this.selected;
    if (!p || this.consentLost || this.closed) {
      this.counters.mediaSendDropped++;
      return this.drain();
    }
    this.counters.mediaSent++;
    this.sendOnPath(p.local, p.remote.address, data, nowUs);
    return this.drain();
  }

  /**
   * The fast path for a media datagram the owner demultiplexed itself (RFC 7983: not STUN, not
   * ChannelData): true when it comes from the peer over a valid direct pair (it is counted and
   * keeps the connection alive), false (dropped, counted) otherwise.
   */
  acceptMedia(socketId: number, from: TransportAddress, nowUs: number): boolean {
    const p = this.validDirectPair(socketId, from);
    if (!p) {
      this.counters.mediaUnknownSource++;
      return false;
    }
    this.counters.mediaReceived++;
    this.noteReceived(p, nowUs);
    return true;
  }

  /** Handles one datagram received on socket `localSocketId` from `from`. */
  handleDatagram(data: Uint8Array, from: TransportAddress, localSocketId: number, nowUs: number): IceOutput {
    this.lastNowUs = nowUs;
    if (this.closed) return this.drain();
    const turn = this.turns.find((t) => !t.closed && t.socketId === localSocketId && sameTransportAddress(t.server, from));
    const kind = classifyDatagram(data);
    if (turn) {
      // A Binding response to our RTT probe / srflx request goes to us, the rest to the TurnClient.
      if (kind === "stun" && this.isOurGatherResponse(data)) {
        this.onStun(data, from, localSocketId, undefined, nowUs);
      } else {
        turn.client.receive(data, nowUs);
        this.pumpTurn(turn, nowUs);
      }
      return this.drain();
    }
    if (kind === "stun") {
      this.onStun(data, from, localSocketId, undefined, nowUs);
      return this.drain();
    }
    if (kind === "unknown" || kind === "channel-data") {
      // RFC 7983: neither STUN nor media, or ChannelData from an address that is no TURN server of ours.
      this.counters.malformedDropped++;
      return this.drain();
    }
    if (this.acceptMedia(localSocketId, from, nowUs)) this.outEvents.push({ type: "data", data, socketId: localSocketId, from });
    return this.drain();
  }

  /** Time-driven work: retransmissions, paced checks, nomination, consent, TURN refreshes. */
  tick(nowUs: number): IceOutput {
    this.lastNowUs = nowUs;
    if (this.closed) return this.drain();
    for (const [key, t] of [...this.txs]) {
      const action = t.tx.tick(nowUs);
      if (action === "retransmit") {
        if (t.kind === "check") this.counters.checkRetransmissions++;
        this.sendStun(t.socketId, t.pair?.local, t.to, t.tx.request, nowUs);
      } else if (action === "timeout") {
        this.txs.delete(key);
        this.onTxTimeout(t, nowUs);
      }
    }
    for (const t of this.turns) {
      if (t.closed) continue;
      t.client.tick(nowUs);
      this.pumpTurn(t, nowUs);
    }
    for (const g of this.generations()) this.checkTurnProbes(g, nowUs);
    if (nowUs >= this.nextCheckUs) this.sendNextCheck(nowUs);
    this.maybeNominate(nowUs);
    this.consentWork(nowUs);
    this.checkFailed();
    return this.drain();
  }

  /** When `tick` next has work, or undefined. */
  nextTimeoutUs(): number | undefined {
    if (this.closed) return undefined;
    let t = Infinity;
    for (const x of this.txs.values()) t = Math.min(t, x.tx.nextTimeoutUs() ?? Infinity);
    for (const x of this.turns) if (!x.closed) t = Math.min(t, x.client.nextTimeoutUs() ?? Infinity);
    for (const g of this.generations()) for (const d of g.turnProbeDeadlineUs.values()) t = Math.min(t, d);
    if (this.hasCheckToSend()) t = Math.min(t, this.nextCheckUs);
    const nom = this.nominationDueUs();
    if (nom !== undefined) t = Math.min(t, nom);
    if (this.selected && !this.consentLost) {
      if (this.nextConsentUs !== undefined) t = Math.min(t, this.nextConsentUs);
      t = Math.min(t, this.lastConsentOkUs + this.consentTimeoutUs);
      if (!this.disconnected) t = Math.min(t, this.lastReceivedUs + this.receiveTimeoutUs);
    }
    return t === Infinity ? undefined : t;
  }

  /** Stops everything; TURN allocations are released (Refresh 0) and their last datagrams returned. */
  close(nowUs: number): IceOutput {
    if (this.closed) return this.drain();
    for (const t of this.turns) this.closeTurn(t, nowUs);
    this.closed = true;
    this.txs.clear();
    return this.drain();
  }

  // ---- gathering ----

  private newGeneration(ufrag?: string, pwd?: string): Generation {
    const u = ufrag ?? this.randomString(8);
    const p = pwd ?? this.randomString(24);
    if (!ICE_CHARS_RE.test(u) || u.length < 4 || u.length > 256) throw new InvalidOptionError(`Cannot use ufrag ${JSON.stringify(u.slice(0, 40))}: allowed are 4-256 ice-chars (A-Z a-z 0-9 + /)`);
    if (!ICE_CHARS_RE.test(p) || p.length < 22 || p.length > 256) throw new InvalidOptionError("Cannot use pwd: allowed are 22-256 ice-chars (A-Z a-z 0-9 + /)");
    return {
      ufrag: u, pwd: p, key: shortTermKey(p), remoteUfrag: undefined, remotePwd: undefined, remoteKey: undefined,
      locals: [], remotes: [], pairs: [], triggered: [], remoteEnd: false, gatherPending: 0, gatheringDone: false,
      firstValidUs: undefined, failedReported: false, turnProbes: new Map(), turnProbeDeadlineUs: new Map(),
    };
  }

  private randomString(n: number): string {
    const b = new Uint8Array(n);
    this.randomFill(b);
    let s = "";
    for (let i = 0; i < n; i++) s += ICE_CHARS[b[i]! & 63];
    return s;
  }

  private localPreference(socket: LocalSocket): number {
    return Math.max(0, 65535 - socket.index * 256);
  }

  private gatherSocket(g: Generation, s: LocalSocket, nowUs: number): void {
    const host: IceCandidate = {
      foundation: candidateFoundation("host", s.address.address, undefined),
      component: 1, transport: "udp", priority: candidatePriority("host", this.localPreference(s)), address: s.address, type: "host",
    };
    this.addLocal(g, { id: this.nextId++, candidate: host, socketId: s.id, base: s.address, turn: undefined }, this.policy === "all");
    for (const server of this.stunServers) {
      if (server.family !== s.address.family) continue;
      this.gatherRequest(g, s, server, undefined, nowUs);
    }
    const probes: { server: IceTurnServer; rttUs: number | undefined; done: boolean }[] = [];
    for (const ts of this.turnServers) {
      const server = transportAddress(ts.address, ts.port);
      if (server.family !== s.address.family) continue;
      const probe = { server: ts, rttUs: undefined as number | undefined, done: false };
      probes.push(probe);
      this.gatherRequest(g, s, server, probe, nowUs);
    }
    if (probes.length > 0) {
      g.turnProbes.set(s.id, probes);
      g.turnProbeDeadlineUs.set(s.id, nowUs + this.turnProbeTimeoutUs);
      g.gatherPending++; // the relay allocation
    }
  }

  private gatherRequest(g: Generation, s: LocalSocket, server: TransportAddress, probe: Tx["turnProbe"], nowUs: number): void {
    const id = newTransactionId(this.randomFill);
    const bytes = createBindingRequest(id);
    const tx = new StunClientTransaction(bytes, nowUs, { rtoMs: this.gatherRtoMs, maxTransmits: 4, lastWaitRto: 4 });
    const t: Tx = { kind: "gather", tx, socketId: s.id, to: server, gen: g, server };
    if (probe) t.turnProbe = probe;
    this.txs.set(hex(id), t);
    g.gatherPending++;
    this.outTransmits.push({ socketId: s.id, to: server, data: bytes });
  }

  private isOurGatherResponse(data: Uint8Array): boolean {
    const key = hex(data.subarray(8, 20));
    return this.txs.get(key)?.kind === "gather";
  }

  private onGatherResponse(t: Tx, m: StunMessage, nowUs: number): void {
    const rtt = t.tx.complete(nowUs);
    const g = t.gen;
    g.gatherPending--;
    let mapped: TransportAddress | undefined;
    try {
      mapped = bindingResponseAddress(m);
    } catch {
      mapped = undefined;
    }
    if (t.turnProbe) {
      t.turnProbe.done = true;
      t.turnProbe.rttUs = rtt;
    }
    if (mapped) this.addServerReflexive(g, t.socketId, mapped, t.server!);
    this.checkTurnProbes(g, nowUs);
    this.checkGatheringDone(g);
  }

  private addServerReflexive(g: Generation, socketId: number, mapped: TransportAddress, server: TransportAddress): void {
    const s = this.sockets.find((x) => x.id === socketId);
    if (!s) return;
    if (sameTransportAddress(mapped, s.address)) return; // not behind a NAT: same as the host candidate
    if (g.locals.some((l) => l.candidate.type === "srflx" && sameTransportAddress(l.candidate.address, mapped))) return;
    const c: IceCandidate = {
      foundation: candidateFoundation("srflx", s.address.address, server), component: 1, transport: "udp",
      priority: candidatePriority("srflx", this.localPreference(s)), address: mapped, type: "srflx", related: s.address,
    };
    this.addLocal(g, { id: this.nextId++, candidate: c, socketId, base: s.address, turn: undefined }, this.policy === "all");
  }

  /** Once every TURN server of a socket answered its probe (or the deadline passed), allocate on the lowest RTT. */
  private checkTurnProbes(g: Generation, nowUs: number): void {
    for (const [socketId, probes] of g.turnProbes) {
      const deadline = g.turnProbeDeadlineUs.get(socketId);
      if (deadline === undefined) continue; // already allocating
      if (!probes.every((p) => p.done) && nowUs < deadline) continue;
      g.turnProbeDeadlineUs.delete(socketId);
      this.allocateNext(g, socketId, nowUs);
    }
  }

  /** Allocates on the best TURN server not yet tried: answered ones by RTT, then the silent ones. */
  private allocateNext(g: Generation, socketId: number, nowUs: number): void {
    const probes = g.turnProbes.get(socketId) ?? [];
    const tried = new Set(this.turns.filter((t) => t.gen === g && t.socketId === socketId).map((t) => `${t.config.address}|${t.config.port}`));
    const order = probes.filter((p) => !tried.has(`${p.server.address}|${p.server.port}`)).sort((a, b) => (a.rttUs ?? Infinity) - (b.rttUs ?? Infinity));
    const best = order[0];
    if (!best) {
      g.gatherPending--;
      this.checkGatheringDone(g);
      return;
    }
    const server = transportAddress(best.server.address, best.server.port);
    this.outEvents.push({ type: "turn-selected", server, rttMs: best.rttUs === undefined ? undefined : best.rttUs / 1000 });
    const client = new TurnClient({ server: { address: best.server.address, port: best.server.port }, username: best.server.username, password: best.server.password, randomFill: this.randomFill, lifetimeS: this.turnLifetimeS, rtoMs: this.gatherRtoMs, maxTransmits: 5, lastWaitRto: 4 });
    const entry: TurnEntry = { socketId, server, config: best.server, client, gen: g, relay: undefined, closed: false };
    this.turns.push(entry);
    client.allocate(nowUs);
    this.pumpTurn(entry, nowUs);
  }

  private pumpTurn(t: TurnEntry, nowUs: number): void {
    for (let e: TurnEvent | undefined = t.client.pollEvent(); e !== undefined; e = t.client.pollEvent()) this.onTurnEvent(t, e, nowUs);
    for (let b = t.client.pollTransmit(); b !== undefined; b = t.client.pollTransmit()) this.outTransmits.push({ socketId: t.socketId, to: t.server, data: b });
  }

  private onTurnEvent(t: TurnEntry, e: TurnEvent, nowUs: number): void {
    switch (e.type) {
      case "allocated": {
        const g = t.gen;
        g.gatherPending--;
        const s = this.sockets.find((x) => x.id === t.socketId)!;
        if (e.mapped) this.addServerReflexive(g, t.socketId, e.mapped, t.server);
        const c: IceCandidate = {
          foundation: candidateFoundation("relay", s.address.address, t.server), component: 1, transport: "udp",
          priority: candidatePriority("relay", this.localPreference(s)), address: e.relayed, type: "relay", related: e.mapped ?? s.address,
        };
        const l: LocalCandidate = { id: this.nextId++, candidate: c, socketId: t.socketId, base: e.relayed, turn: t };
        t.relay = l;
        if (g === this.gen || g === this.previous) this.addLocal(g, l, true);
        this.checkGatheringDone(g);
        return;
      }
      case "data":
        if (t.relay) this.onRelayedDatagram(t.relay, e.peer, e.data, nowUs);
        return;
      case "error": {
        this.outEvents.push({ type: "turn-error", server: t.server, message: e.error.message });
        if (e.error.request === "allocate") {
          t.closed = true;
          this.allocateNext(t.gen, t.socketId, nowUs); // fall back to the next-best server
        }
        return;
      }
      default:
        return;
    }
  }

  private checkGatheringDone(g: Generation): void {
    if (g.gatheringDone || g.gatherPending > 0 || !this.gathered) return;
    g.gatheringDone = true;
    if (g === this.gen) this.outEvents.push({ type: "gathering-complete", ufrag: g.ufrag });
  }

  private addLocal(g: Generation, l: LocalCandidate, signal: boolean): void {
    g.locals.push(l);
    if (signal && g === this.gen) this.outEvents.push({ type: "candidate", candidate: l.candidate, ufrag: g.ufrag });
    for (const r of g.remotes) this.addPair(g, l, r);
    this.armChecks(this.lastNowUs);
  }

  // ---- pairs and checks ----

  private pairPriority(local: IceCandidate, remote: IceCandidate): bigint {
    return this.roleValue === "controlling" ? candidatePairPriority(local.priority, remote.priority) : candidatePairPriority(remote.priority, local.priority);
  }

  /** Forms the pair (6.1.2.2), pruned (6.1.2.4): srflx locals are replaced by their base. */
  private addPair(g: Generation, l: LocalCandidate, r: IceCandidate): Pair | undefined {
    if (l.candidate.type === "srflx" || l.candidate.type === "prflx") return undefined;
    if (this.policy === "relay" && l.candidate.type !== "relay") return undefined;
    if (l.candidate.address.family !== r.address.family) return undefined;
    const existing = g.pairs.find((p) => p.local === l && sameTransportAddress(p.remote.address, r.address));
    if (existing) return existing;
    if (g.pairs.length >= this.maxPairs) {
      // RFC 8445 6.1.2.5: keep the highest-priority pairs.
      const prio = this.pairPriority(l.candidate, r);
      const last = g.pairs[g.pairs.length - 1]!;
      if (last.priority >= prio || last.state !== "frozen") return undefined;
      g.pairs.pop();
    }
    const foundation = `${l.candidate.foundation}:${r.foundation}`;
    const active = g.pairs.some((p) => p.foundation === foundation && (p.state === "waiting" || p.state === "in-progress"));
    const p: Pair = { id: this.nextId++, gen: g, local: l, remote: r, priority: this.pairPriority(l.candidate, r), foundation, state: active ? "frozen" : "waiting", nominated: false, nominateOnSuccess: false, txKey: undefined };
    g.pairs.push(p);
    g.pairs.sort((a, b) => (a.priority > b.priority ? -1 : a.priority < b.priority ? 1 : 0));
    return p;
  }

  private armChecks(nowUs: number): void {
    if (this.nextCheckUs < nowUs) this.nextCheckUs = nowUs;
  }

  private canCheck(g: Generation): boolean {
    return g.remoteKey !== undefined && g.remoteUfrag !== undefined;
  }

  private hasCheckToSend(): boolean {
    const g = this.gen;
    if (!this.canCheck(g)) return false;
    return g.triggered.length > 0 || g.pairs.some((p) => p.state === "waiting" || p.state === "frozen");
  }

  /** One check per Ta (RFC 8445 6.1.4.2): the triggered queue first, else the best Waiting pair, else unfreeze. */
  private sendNextCheck(nowUs: number): void {
    const g = this.gen;
    if (!this.canCheck(g)) return;
    let p = g.triggered.shift();
    if (p) this.counters.triggeredChecks++;
    if (!p) p = g.pairs.find((x) => x.state === "waiting");
    if (!p) {
      const busy = new Set(g.pairs.filter((x) => x.state === "waiting" || x.state === "in-progress").map((x) => x.foundation));
      p = g.pairs.find((x) => x.state === "frozen" && !busy.has(x.foundation));
      if (!p) p = g.pairs.find((x) => x.state === "frozen");
    }
    if (!p) return;
    this.sendCheck(p, this.roleValue === "controlling" && p.nominated, nowUs);
    this.nextCheckUs = nowUs + this.taUs;
  }

  private sendCheck(p: Pair, useCandidate: boolean, nowUs: number): void {
    const g = p.gen;
    if (p.txKey) this.txs.delete(p.txKey);
    const id = newTransactionId(this.randomFill);
    const m = new StunMessage({ messageClass: StunClass.request, method: StunMethod.binding, transactionId: id });
    m.addText(T.username, `${g.remoteUfrag}:${g.ufrag}`);
    const prflxPriority = candidatePriority("prflx", (p.local.candidate.priority >> 8) & 0xffff);
    m.addUint32(T.priority, prflxPriority);
    m.addTieBreaker(this.roleValue === "controlling" ? T.iceControlling : T.iceControlled, this.tieBreakerValue);
    if (useCandidate) m.add(T.useCandidate, new Uint8Array(0));
    const bytes = m.serialize({ integrityKey: g.remoteKey!, fingerprint: true });
    const tx = new StunClientTransaction(bytes, nowUs, { rtoMs: this.checkRtoMs, maxTransmits: this.checkMaxTransmits, lastWaitRto: 2 });
    const key = hex(id);
    this.txs.set(key, { kind: "check", tx, socketId: p.local.socketId, to: p.remote.address, pair: p, useCandidate, roleSent: this.roleValue, gen: g });
    p.txKey = key;
    p.state = "in-progress";
    this.counters.checksSent++;
    this.sendStun(p.local.socketId, p.local, p.remote.address, bytes, nowUs);
  }

  private sendStun(socketId: number, local: LocalCandidate | undefined, to: TransportAddress, bytes: Uint8Array, nowUs: number): void {
    if (local?.turn) {
      this.sendOnPath(local, to, bytes, nowUs);
      return;
    }
    this.outTransmits.push({ socketId, to, data: bytes });
  }

  private sendOnPath(local: LocalCandidate, to: TransportAddress, data: Uint8Array, nowUs: number): void {
    const t = local.turn;
    if (t) {
      if (t.closed) return;
      t.client.send(to, data, nowUs);
      this.pumpTurn(t, nowUs);
      return;
    }
    this.outTransmits.push({ socketId: local.socketId, to, data });
  }

  private onTxTimeout(t: Tx, nowUs: number): void {
    if (t.kind === "gather") {
      t.gen.gatherPending--;
      if (t.turnProbe) t.turnProbe.done = true;
      this.checkTurnProbes(t.gen, nowUs);
      this.checkGatheringDone(t.gen);
      return;
    }
    if (t.kind === "check" && t.pair && t.pair.state === "in-progress") {
      t.pair.state = "failed";
      t.pair.txKey = undefined;
      this.checkFailed();
      this.maybeNominate(nowUs);
    }
  }

  // ---- STUN in ----

  private onRelayedDatagram(relay: LocalCandidate, peer: TransportAddress, data: Uint8Array, nowUs: number): void {
    if (classifyDatagram(data) === "stun") {
      this.onStun(data, peer, relay.socketId, relay, nowUs);
      return;
    }
    const p = this.validPairFor(relay, peer);
    if (!p) {
      this.counters.mediaUnknownSource++;
      return;
    }
    this.counters.mediaReceived++;
    this.noteReceived(p, nowUs);
    this.outEvents.push({ type: "data", data, socketId: relay.socketId, from: peer });
  }

  private onStun(data: Uint8Array, from: TransportAddress, socketId: number, relay: LocalCandidate | undefined, nowUs: number): void {
    let m: StunMessage;
    try {
      m = StunMessage.parse(data);
    } catch (e) {
      if (!(e instanceof MalformedPacketError)) throw e;
      this.counters.malformedDropped++;
      return;
    }
    if (m.method !== StunMethod.binding) {
      this.counters.malformedDropped++;
      return;
    }
    if (m.messageClass === StunClass.request) {
      this.onRequest(m, from, socketId, relay, nowUs);
      return;
    }
    if (m.messageClass === StunClass.indication) return; // keepalive (RFC 8445 11)
    const t = this.txs.get(m.transactionKey);
    if (!t) {
      this.counters.responsesDropped++;
      return;
    }
    if (t.kind === "gather") {
      if (!sameTransportAddress(from, t.to)) {
        this.counters.responsesDropped++;
        return;
      }
      this.txs.delete(m.transactionKey);
      this.onGatherResponse(t, m, nowUs);
      return;
    }
    // A check or consent response: integrity with the peer's password (RFC 8445 7.2.5.1).
    if (!t.gen.remoteKey || !m.verifyIntegrity(t.gen.remoteKey)) {
      this.counters.responsesDropped++;
      return;
    }
    this.txs.delete(m.transactionKey);
    const p = t.pair!;
    if (t.kind === "consent") {
      if (m.messageClass === StunClass.successResponse && sameTransportAddress(from, p.remote.address)) {
        this.counters.consentResponses++;
        this.lastConsentOkUs = nowUs;
        this.noteReceived(p, nowUs);
      }
      return;
    }
    t.tx.complete(nowUs);
    if (p.txKey === m.transactionKey) p.txKey = undefined;
    if (m.messageClass === StunClass.errorResponse) {
      this.counters.errorResponses++;
      if (m.errorCode?.code === 487) {
        // RFC 8445 7.2.5.1: switch role (unless already switched) and check the pair again.
        this.counters.roleConflicts++;
        if (t.roleSent === this.roleValue) this.switchRole(this.roleValue === "controlling" ? "controlled" : "controlling");
        p.state = "waiting";
        this.enqueueTriggered(p);
        return;
      }
      p.state = "failed";
      this.checkFailed();
      return;
    }
    this.counters.successResponses++;
    // RFC 8445 7.2.5.2.1: the response must come from where the request went, on the same local candidate.
    const sameLocal = relay ? p.local === relay : !p.local.turn && p.local.socketId === socketId;
    if (!sameTransportAddress(from, p.remote.address) || !sameLocal) {
      p.state = "failed";
      this.checkFailed();
      return;
    }
    const mapped = m.getXorAddress(T.xorMappedAddress);
    if (mapped && !p.local.turn && !p.gen.locals.some((l) => sameTransportAddress(l.candidate.address, mapped))) {
      // RFC 8445 7.2.5.3.1: a peer-reflexive local candidate (not signaled; its base sends).
      const s = this.sockets.find((x) => x.id === p.local.socketId);
      const c: IceCandidate = { foundation: candidateFoundation("prflx", p.local.base.address, undefined), component: 1, transport: "udp", priority: candidatePriority("prflx", s ? this.localPreference(s) : 0), address: mapped, type: "prflx", related: p.local.base };
      p.gen.locals.push({ id: this.nextId++, candidate: c, socketId: p.local.socketId, base: p.local.base, turn: undefined });
      this.counters.peerReflexiveLocal++;
    }
    p.state = "succeeded";
    if (p.gen.firstValidUs === undefined) p.gen.firstValidUs = nowUs;
    // RFC 8445 7.2.5.3.3: unfreeze the pairs of the same foundation.
    for (const x of p.gen.pairs) if (x.state === "frozen" && x.foundation === p.foundation) x.state = "waiting";
    if (p.local.turn && !p.local.turn.closed && p.local.turn.client.state === "allocated") {
      // ChannelData (4 bytes of overhead) instead of Send indications (36) on a valid relayed pair.
      p.local.turn.client.bindChannel(p.remote.address, nowUs);
      this.pumpTurn(p.local.turn, nowUs);
    }
    if ((t.useCandidate && this.roleValue === "controlling") || (p.nominateOnSuccess && this.roleValue === "controlled")) {
      p.nominated = true;
      this.select(p, nowUs);
    }
    this.armChecks(nowUs);
    this.maybeNominate(nowUs);
  }

  private onRequest(m: StunMessage, from: TransportAddress, socketId: number, relay: LocalCandidate | undefined, nowUs: number): void {
    // Rate limit first: a flood costs no HMAC.
    const elapsed = nowUs - this.bucketAtUs;
    this.bucketAtUs = nowUs;
    this.bucketTokens = Math.min(this.maxChecksPerSecond, this.bucketTokens + (elapsed * this.maxChecksPerSecond) / 1e6);
    if (this.bucketTokens < 1) {
      this.counters.checksRateLimited++;
      return;
    }
    this.bucketTokens -= 1;
    let username: string | undefined;
    try {
      username = m.getText(T.username);
    } catch {
      username = undefined;
    }
    const colon = username?.indexOf(":") ?? -1;
    const localUfrag = colon > 0 ? username!.slice(0, colon) : undefined;
    const g = localUfrag === this.gen.ufrag ? this.gen : this.previous && localUfrag === this.previous.ufrag ? this.previous : undefined;
    // RFC 8445 7.3 / RFC 8489 9.1.3: USERNAME must name us, MESSAGE-INTEGRITY must verify with our password.
    if (!g || !m.hasMessageIntegrity || !m.verifyIntegrity(g.key)) {
      this.counters.authFailures++;
      return;
    }
    const remoteUfrag = username!.slice(colon + 1);
    this.counters.checksReceived++;
    const local = relay ?? g.locals.find((l) => !l.turn && l.candidate.type === "host" && l.socketId === socketId);
    if (m.unknownComprehensionRequired.length > 0) {
      // RFC 8489 6.3.1: 420 with UNKNOWN-ATTRIBUTES.
      this.respond(m, from, socketId, local, g, 420, nowUs);
      return;
    }
    const controlling = m.getTieBreaker(T.iceControlling);
    const controlled = m.getTieBreaker(T.iceControlled);
    // RFC 8445 7.3.1.1: role conflict.
    if (this.roleValue === "controlling" && controlling !== undefined) {
      this.counters.roleConflicts++;
      if (this.tieBreakerValue >= controlling) {
        this.respond(m, from, socketId, local, g, 487, nowUs);
        return;
      }
      this.switchRole("controlled");
    } else if (this.roleValue === "controlled" && controlled !== undefined) {
      this.counters.roleConflicts++;
      if (this.tieBreakerValue >= controlled) this.switchRole("controlling");
      else {
        this.respond(m, from, socketId, local, g, 487, nowUs);
        return;
      }
    }
    this.respond(m, from, socketId, local, g, 0, nowUs);
    if (!local) return;
    if (g.remoteUfrag !== undefined && remoteUfrag !== g.remoteUfrag) return; // stale generation of the peer
    // RFC 8445 7.3.1.3: an unknown source is a peer-reflexive remote candidate.
    let remote = g.remotes.find((r) => sameTransportAddress(r.address, from));
    if (!remote) {
      if (g.remotes.length >= 2 * this.maxPairs) return; // bounded: answered, not paired
      const priority = m.getUint32(T.priority) ?? candidatePriority("prflx", 0);
      remote = { foundation: `p${++this.prflxCount}`, component: 1, transport: "udp", priority: Math.max(1, Math.min(priority, 2 ** 31 - 1)), address: from, type: "prflx" };
      g.remotes.push(remote);
      this.counters.peerReflexiveRemote++;
    }
    const p = this.addPair(g, local, remote);
    if (!p) return;
    this.noteReceived(p, nowUs);
    const useCandidate = m.has(T.useCandidate);
    // RFC 8445 7.3.1.4: triggered checks; 7.3.1.5: nomination by the controlling peer.
    if (p.state === "succeeded") {
      if (useCandidate && this.roleValue === "controlled" && !p.nominated) {
        p.nominated = true;
        this.select(p, nowUs);
      }
      return;
    }
    if (useCandidate && this.roleValue === "controlled") p.nominateOnSuccess = true;
    if (p.state !== "in-progress") {
      p.state = "waiting";
      this.enqueueTriggered(p);
      this.armChecks(nowUs);
    }
  }

  private enqueueTriggered(p: Pair): void {
    if (!p.gen.triggered.includes(p)) p.gen.triggered.push(p);
  }

  private respond(req: StunMessage, from: TransportAddress, socketId: number, local: LocalCandidate | undefined, g: Generation, errorCode: number, nowUs: number): void {
    const bytes = errorCode
      ? createBindingError(req, errorCode, errorCode === 487 ? "Role Conflict" : "Unknown Attribute", { integrityKey: g.key })
      : createBindingSuccess(req, from, { integrityKey: g.key });
    if (local?.turn) this.sendOnPath(local, from, bytes, nowUs);
    else this.outTransmits.push({ socketId, to: from, data: bytes });
  }

  private switchRole(role: IceRole): void {
    this.roleValue = role;
    for (const g of this.generations()) {
      for (const p of g.pairs) p.priority = this.pairPriority(p.local.candidate, p.remote);
      g.pairs.sort((a, b) => (a.priority > b.priority ? -1 : a.priority < b.priority ? 1 : 0));
    }
    this.outEvents.push({ type: "role-changed", role });
  }

  // ---- nomination, selection, consent ----

  private nominationDueUs(): number | undefined {
    const g = this.gen;
    if (this.roleValue !== "controlling" || g.firstValidUs === undefined) return undefined;
    if (g.pairs.some((p) => p.nominated)) return undefined;
    return g.firstValidUs + this.nominationTimeoutUs;
  }

  /** Regular nomination (RFC 8445 8.1.1): a new check with USE-CANDIDATE on the chosen valid pair. */
  private maybeNominate(nowUs: number): void {
    const g = this.gen;
    if (this.roleValue !== "controlling" || g.firstValidUs === undefined) return;
    if (g.pairs.some((p) => p.nominated)) return;
    const best = g.pairs.find((p) => p.state === "succeeded");
    if (!best) return;
    const higherPending = g.pairs.some((p) => p.priority > best.priority && p.state !== "failed" && p.state !== "succeeded");
    if (higherPending && nowUs < g.firstValidUs + this.nominationTimeoutUs) return;
    best.nominated = true;
    this.sendCheck(best, true, nowUs);
  }

  private select(p: Pair, nowUs: number): void {
    if (this.selected === p) return;
    this.selected = p;
    this.consentLost = false;
    this.disconnected = false;
    this.lastConsentOkUs = nowUs;
    this.lastReceivedUs = nowUs;
    this.scheduleConsent(nowUs);
    if (this.previous && p.gen === this.gen) {
      // The restart is done: drop the old generation and its relays.
      for (const t of this.turns) if (t.gen === this.previous && t !== p.local.turn) this.closeTurn(t, nowUs);
      for (const [k, t] of this.txs) if (t.gen === this.previous) this.txs.delete(k);
      this.previous = undefined;
    }
    // RFC 8445 8.1.2: the checks are over: drop Waiting/Frozen pairs and stop retransmitting
    // In-Progress ones of lower priority.
    const g = p.gen;
    g.triggered.length = 0;
    for (const x of g.pairs) {
      if (x === p) continue;
      if (x.state === "waiting" || x.state === "frozen" || (x.state === "in-progress" && x.priority < p.priority)) {
        if (x.txKey) this.txs.delete(x.txKey);
        x.txKey = undefined;
        x.state = "failed";
      }
    }
    this.outEvents.push({ type: "selected-pair", pair: describePair(p) });
  }

  private scheduleConsent(nowUs: number): void {
    // RFC 7675 5.1: randomized between 0.8 and 1.2 times the interval.
    this.nextConsentUs = nowUs + Math.round(this.consentIntervalUs * (0.8 + 0.4 * this.rng.next()));
  }

  private consentWork(nowUs: number): void {
    const p = this.selected;
    if (!p || this.consentLost) return;
    if (nowUs - this.lastConsentOkUs >= this.consentTimeoutUs) {
      this.consentLost = true;
      this.outEvents.push({ type: "consent-lost" });
      return;
    }
    if (!this.disconnected && nowUs - this.lastReceivedUs >= this.receiveTimeoutUs) {
      this.disconnected = true;
      this.outEvents.push({ type: "disconnected" });
    }
    if (this.nextConsentUs !== undefined && nowUs >= this.nextConsentUs) {
      this.scheduleConsent(nowUs);
      const g = p.gen;
      if (!g.remoteKey) return;
      const id = newTransactionId(this.randomFill);
      const m = new StunMessage({ messageClass: StunClass.request, method: StunMethod.binding, transactionId: id });
      m.addText(T.username, `${g.remoteUfrag}:${g.ufrag}`);
      m.addUint32(T.priority, candidatePriority("prflx", (p.local.candidate.priority >> 8) & 0xffff));
      m.addTieBreaker(this.roleValue === "controlling" ? T.iceControlling : T.iceControlled, this.tieBreakerValue);
      const bytes = m.serialize({ integrityKey: g.remoteKey, fingerprint: true });
      // Each consent check is a single transmission, answered or not (RFC 7675 5.1).
      const tx = new StunClientTransaction(bytes, nowUs, { rtoMs: Math.min(5000, Math.round(this.consentIntervalUs / 1000)), maxTransmits: 1, lastWaitRto: 1 });
      this.txs.set(hex(id), { kind: "consent", tx, socketId: p.local.socketId, to: p.remote.address, pair: p, gen: g });
      this.counters.consentChecksSent++;
      this.sendStun(p.local.socketId, p.local, p.remote.address, bytes, nowUs);
    }
  }

  private noteReceived(p: Pair, nowUs: number): void {
    if (p !== this.selected) return;
    this.lastReceivedUs = nowUs;
    if (this.disconnected) {
      this.disconnected = false;
      this.outEvents.push({ type: "reconnected" });
    }
  }

  private validDirectPair(socketId: number, from: TransportAddress): Pair | undefined {
    const sel = this.selected;
    if (sel && !sel.local.turn && sel.local.socketId === socketId && sameTransportAddress(sel.remote.address, from)) return sel;
    for (const g of this.generations()) for (const p of g.pairs) if (p.state === "succeeded" && !p.local.turn && p.local.socketId === socketId && sameTransportAddress(p.remote.address, from)) return p;
    return undefined;
  }

  private validPairFor(relay: LocalCandidate, peer: TransportAddress): Pair | undefined {
    for (const g of this.generations()) for (const p of g.pairs) if (p.local === relay && p.state === "succeeded" && sameTransportAddress(p.remote.address, peer)) return p;
    return undefined;
  }

  private checkFailed(): void {
    const g = this.gen;
    if (g.failedReported || !g.remoteEnd || !g.gatheringDone || this.selected?.gen === g) return;
    if (g.pairs.some((p) => p.state !== "failed") || g.triggered.length > 0) return;
    g.failedReported = true;
    this.outEvents.push({ type: "failed", reason: `Cannot connect: all ${g.pairs.length} candidate pairs failed` });
  }

  private doRestart(nowUs: number): void {
    this.counters.restarts++;
    const old = this.gen;
    // Only the generation carrying the selected pair is kept (for media and consent) until a
    // pair of the new generation is selected; any other one is dropped now.
    const keep = this.selected?.gen;
    for (const g of [this.previous, old]) {
      if (!g || g === keep) continue;
      for (const t of this.turns) if (t.gen === g) this.closeTurn(t, nowUs);
      for (const [k, t] of this.txs) if (t.gen === g) this.txs.delete(k);
    }
    for (const [k, t] of this.txs) if (t.gen === keep && t.kind !== "consent") this.txs.delete(k);
    this.previous = keep;
    this.gen = this.newGeneration();
    this.outEvents.push({ type: "restarted", ufrag: this.gen.ufrag, pwd: this.gen.pwd });
    if (this.gathered) {
      for (const s of this.sockets) this.gatherSocket(this.gen, s, nowUs);
      this.checkGatheringDone(this.gen);
    }
  }

  private closeTurn(t: TurnEntry, nowUs: number): void {
    if (t.closed) return;
    t.client.close(nowUs);
    for (let b = t.client.pollTransmit(); b !== undefined; b = t.client.pollTransmit()) this.outTransmits.push({ socketId: t.socketId, to: t.server, data: b });
    t.closed = true;
  }

  private *generations(): Generator<Generation> {
    yield this.gen;
    if (this.previous) yield this.previous;
  }

  private drain(): IceOutput {
    const out = { transmits: this.outTransmits, events: this.outEvents };
    this.outTransmits = [];
    this.outEvents = [];
    return out;
  }
}

function describePair(p: Pair): IceSelectedPair {
  return { local: p.local.candidate, remote: p.remote, socketId: p.local.socketId, ufrag: p.gen.ufrag };
}

function serverAddress(s: IceStunServer, what: string): TransportAddress {
  try {
    return transportAddress(s.address, checkInt(`${what}.port`, s.port, 1, 65535));
  } catch (e) {
    if (e instanceof MalformedPacketError) throw new InvalidOptionError(`Cannot use ${what}: address ${JSON.stringify(s.address)} is not an IP literal`);
    throw e;
  }
}

function hex(id: Uint8Array): string {
  let s = "";
  for (let i = 0; i < id.length; i++) s += id[i]!.toString(16).padStart(2, "0");
  return s;
}

/** Formats a pair for logs: "host 127.0.0.1:5000 -> srflx 1.2.3.4:6000". */
export function formatIcePair(p: IceSelectedPair): string {
  return `${p.local.type} ${formatTransportAddress(p.local.address)} -> ${p.remote.type} ${formatTransportAddress(p.remote.address)}`;
}
