/**
 * The IceAgent on real UDP sockets (node:dgram) and the wall clock, as the project's
 * `Transport`: `send` goes over the selected pair (through the TURN relay as ChannelData when
 * the pair is relayed), `onReceive` gets the peer's media. Incoming datagrams are
 * demultiplexed by their first byte (RFC 7983 7): RTP/RTCP (128-191) and DTLS (20-63) from a
 * peer on a valid direct pair go straight to `onReceive`; STUN (0-3), TURN ChannelData (64-79)
 * and everything from a TURN server go to the agent, which hands relayed media back as "data"
 * events. Timers and sockets are this wrapper's job; the protocol stays in the core.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { randomFillSync } from "node:crypto";
import { InvalidOptionError } from "../errors.js";
import type { Transport } from "../net/transport.js";
import { classifyDatagram } from "../turn/classify-datagram.js";
import { transportAddress, type TransportAddress } from "../stun/transport-address.js";
import { IceAgent, type IceAgentOptions, type IceAgentStats, type IceEvent, type IceOutput, type IceSelectedPair } from "./ice-agent.js";
import type { IceCandidate } from "./ice-candidate.js";
import { WallClockTimeout, wallClockUs } from "../net/wall-clock-timeout.js";

/** Options of IceUdpTransport.create. */
export interface IceUdpTransportOptions extends Omit<IceAgentOptions, "randomFill" | "seed"> {
  /** Local IP addresses to bind, one socket (and host candidate) each. Default ["127.0.0.1"]. */
  bindAddresses?: string[];
  /** As controlling agent, restart ICE by itself on "disconnected" (the owner signals the new credentials). Default false. */
  restartOnDisconnect?: boolean;
}

/** Counters of an IceUdpTransport: the agent's plus the sockets'. */
export interface IceUdpTransportStats extends IceAgentStats {
  /** Datagrams and bytes put on the wire (all kinds: checks, TURN, media). */
  datagramsSent: number;
  bytesSent: number;
  datagramsReceived: number;
  bytesReceived: number;
  /** Bytes on the wire for media handed to `send` (payload plus any ChannelData/Send framing). */
  mediaWireBytesSent: number;
  /** Payload bytes handed to `send`. */
  mediaPayloadBytesSent: number;
  socketErrors: number;
}

const wallUs = wallClockUs;

/** An ICE-managed UDP transport (RFC 8445 over node:dgram). */
export class IceUdpTransport implements Transport {
  /** The sans-IO agent (for candidates, the checklist, stats). */
  readonly agent: IceAgent;
  /** Media from the peer (a view, valid during the call). */
  onReceive: (data: Uint8Array, nowUs: number) => void = () => {};
  /** Every agent event except media "data": candidates to signal, selected pair, restarts, failures. */
  onEvent: (event: IceEvent) => void = () => {};
  private readonly sockets: Socket[];
  private readonly restartOnDisconnect: boolean;
  private readonly timeout = new WallClockTimeout((now) => this.apply(this.agent.tick(now)));
  private closed = false;
  private readonly waiters: { resolve: (p: IceSelectedPair) => void; reject: (e: Error) => void; ufrag: string | undefined }[] = [];
  private readonly counters = { datagramsSent: 0, bytesSent: 0, datagramsReceived: 0, bytesReceived: 0, mediaWireBytesSent: 0, mediaPayloadBytesSent: 0, socketErrors: 0 };

  private constructor(agent: IceAgent, sockets: Socket[], restartOnDisconnect: boolean) {
    this.agent = agent;
    this.sockets = sockets;
    this.restartOnDisconnect = restartOnDisconnect;
    sockets.forEach((s, id) => {
      s.on("message", (data: Buffer, rinfo: RemoteInfo) => this.onMessage(id, data, rinfo));
      s.on("error", () => {
        this.counters.socketErrors++;
      });
    });
  }

  /** Binds the sockets and registers them with a new agent (gathering starts with `gather`). */
  static async create(options: IceUdpTransportOptions = {}): Promise<IceUdpTransport> {
    const { bindAddresses = ["127.0.0.1"], restartOnDisconnect = false, ...agentOptions } = options;
    if (!Array.isArray(bindAddresses) || bindAddresses.length === 0) throw new InvalidOptionError("Cannot create an IceUdpTransport: bindAddresses must list at least one IP address");
    const agent = new IceAgent({ ...agentOptions, randomFill: (out) => randomFillSync(out) });
    const sockets: Socket[] = [];
    try {
      for (const a of bindAddresses) {
        const s = createSocket(a.includes(":") ? "udp6" : "udp4");
        sockets.push(s);
        await new Promise<void>((res, rej) => {
          s.once("error", rej);
          s.bind(0, a, () => {
            s.off("error", rej);
            res();
          });
        });
      }
    } catch (e) {
      for (const s of sockets) s.close();
      throw e;
    }
    const t = new IceUdpTransport(agent, sockets, restartOnDisconnect);
    sockets.forEach((s, id) => {
      const la = s.address();
      t.apply(agent.addLocalSocket(id, transportAddress(la.address, la.port)));
    });
    return t;
  }

  /** Local ufrag/pwd to signal. */
  get localCredentials(): { ufrag: string; pwd: string } {
    return this.agent.localCredentials;
  }

  /** The selected pair, or undefined. */
  get selectedPair(): IceSelectedPair | undefined {
    return this.agent.selectedPair;
  }

  /** Starts gathering; candidates arrive as "candidate" events. */
  gather(): void {
    this.apply(this.agent.gather(wallUs()));
  }

  /** The peer's credentials (new ones later mean an ICE restart by the peer). */
  setRemoteCredentials(ufrag: string, pwd: string): void {
    this.apply(this.agent.setRemoteCredentials(ufrag, pwd, wallUs()));
  }

  /** A remote candidate from signaling (trickle). */
  addRemoteCandidate(candidate: IceCandidate): void {
    this.apply(this.agent.addRemoteCandidate(candidate, wallUs()));
  }

  /** The peer's end-of-candidates. */
  setRemoteEndOfCandidates(): void {
    this.apply(this.agent.setRemoteEndOfCandidates(wallUs()));
  }

  /** ICE restart (RFC 8445 9); signal the "restarted" credentials and new candidates. */
  restart(): void {
    this.apply(this.agent.restart(wallUs()));
  }

  /**
   * Resolves with the selected pair (of the current generation when `afterRestart`), or
   * rejects on "failed" or after `timeoutMs`.
   */
  whenConnected(timeoutMs = 10_000, afterRestart = false): Promise<IceSelectedPair> {
    const ufrag = afterRestart ? this.agent.localCredentials.ufrag : undefined;
    const sel = this.agent.selectedPair;
    if (sel && (ufrag === undefined || sel.ufrag === ufrag)) return Promise.resolve(sel);
    return new Promise<IceSelectedPair>((resolve, reject) => {
      const w = { resolve, reject, ufrag };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`Cannot connect: no selected pair after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref?.();
      w.resolve = (p) => {
        clearTimeout(timer);
        resolve(p);
      };
      w.reject = (e) => {
        clearTimeout(timer);
        reject(e);
      };
      this.waiters.push(w);
    });
  }

  /** Sends one media datagram over the selected pair. `nowUs` is ignored: the agent runs on the wall clock. */
  send(data: Uint8Array, _nowUs?: number): void {
    if (this.closed) return;
    const out = this.agent.send(data, wallUs());
    this.counters.mediaPayloadBytesSent += data.length;
    for (const t of out.transmits) this.counters.mediaWireBytesSent += t.data.length;
    this.apply(out);
  }

  /** Counters: the agent's and the sockets'. */
  stats(): IceUdpTransportStats {
    return { ...this.agent.stats(), ...this.counters };
  }

  /** Releases TURN allocations and closes the sockets. */
  close(): void {
    if (this.closed) return;
    this.apply(this.agent.close(wallUs()));
    this.closed = true;
    this.timeout.cancel();
    for (const w of this.waiters.splice(0)) w.reject(new Error("Cannot connect: the transport was closed"));
    // Let the last datagrams (TURN Refresh 0) leave before the sockets close.
    const t = setTimeout(() => {
      for (const s of this.sockets) {
        try {
          s.close();
        } catch {
          // already closed
        }
      }
    }, 20);
    t.unref?.();
  }

  private onMessage(socketId: number, data: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    this.counters.datagramsReceived++;
    this.counters.bytesReceived += data.length;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const from = { family: rinfo.family === "IPv6" ? 6 : 4, address: rinfo.address, port: rinfo.port } as TransportAddress;
    const now = wallUs();
    const kind = classifyDatagram(bytes);
    if ((kind === "rtp" || kind === "dtls") && this.agent.acceptMedia(socketId, from, now)) {
      this.onReceive(bytes, now);
      this.schedule();
      return;
    }
    if (kind === "rtp" || kind === "dtls") {
      // Maybe from a TURN server? No: servers send STUN or ChannelData. Unknown source: counted by the agent.
      this.schedule();
      return;
    }
    this.apply(this.agent.handleDatagram(bytes, from, socketId, now));
  }

  private apply(out: IceOutput): void {
    if (this.closed && out.transmits.length === 0) return;
    for (const t of out.transmits) {
      const s = this.sockets[t.socketId];
      if (!s) continue;
      this.counters.datagramsSent++;
      this.counters.bytesSent += t.data.length;
      s.send(t.data, t.to.port, t.to.address, (err) => {
        if (err) this.counters.socketErrors++;
      });
    }
    for (const e of out.events) this.onAgentEvent(e);
    this.schedule();
  }

  private onAgentEvent(e: IceEvent): void {
    if (e.type === "data") {
      this.onReceive(e.data, wallUs());
      return;
    }
    if (e.type === "selected-pair") {
      for (const w of [...this.waiters]) {
        if (w.ufrag === undefined || w.ufrag === e.pair.ufrag) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(e.pair);
        }
      }
    }
    if (e.type === "failed") for (const w of this.waiters.splice(0)) w.reject(new Error(e.reason));
    this.onEvent(e);
    if (e.type === "disconnected" && this.restartOnDisconnect && this.agent.role === "controlling") this.restart();
  }

  private schedule(): void {
    if (!this.closed) this.timeout.schedule(this.agent.nextTimeoutUs());
  }

}
