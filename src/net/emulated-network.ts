import type { Clock, TimerHandle } from "../pipeline/clock.js";
import { EmulatedLink } from "./emulated-link.js";
import type { EmulatedLinkOptions, EmulatedLinkStats } from "./emulated-link.js";
import type { Transport } from "./transport.js";

/** Options of an EmulatedNetwork: the clock and one link per direction. */
export interface EmulatedNetworkOptions {
  /** Drives delivery: a VirtualClock for tests and simulations, a RealClock for live runs. */
  clock: Clock;
  /** The A → B direction. Default: a perfect link (no delay, no loss). */
  aToB?: EmulatedLinkOptions;
  /**
   * The B → A direction. Default: the same options as `aToB`, with its seed + 1 so the two
   * directions lose different packets.
   */
  bToA?: EmulatedLinkOptions;
}

/** Counters of one endpoint of an EmulatedNetwork. */
export interface EmulatedEndpointStats {
  [key: string]: number;
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
}

/** One side of an EmulatedNetwork, a Transport. */
export class EmulatedEndpoint implements Transport {
  /** Set by the owner; called with each arriving datagram and the arrival time. */
  onReceive: (data: Uint8Array, nowUs: number) => void = () => {};
  private closed = false;
  private readonly counters: EmulatedEndpointStats = { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0 };

  /** @internal Built by EmulatedNetwork. */
  constructor(
    /** "A" or "B". */
    readonly side: "A" | "B",
    private readonly sendFn: (data: Uint8Array) => void,
  ) {}

  /**
   * Sends a datagram into this side's outgoing link. The time is the network clock's now
   * (`nowUs` is accepted for the Transport interface). The bytes are copied.
   */
  send(data: Uint8Array, _nowUs?: number): void {
    if (this.closed) return;
    this.counters.packetsSent++;
    this.counters.bytesSent += data.byteLength;
    this.sendFn(data);
  }

  /** @internal Called by the network when a datagram arrives. */
  receive(data: Uint8Array, nowUs: number): void {
    if (this.closed) return;
    this.counters.packetsReceived++;
    this.counters.bytesReceived += data.byteLength;
    this.onReceive(data, nowUs);
  }

  stats(): EmulatedEndpointStats {
    return { ...this.counters };
  }

  /** Stops sending and receiving on this side. Idempotent. */
  close(): void {
    this.closed = true;
  }
}

/**
 * Two Transport endpoints, A and B, joined by one EmulatedLink per direction and driven by a
 * Clock: `a.send(d)` pushes `d` into the A→B link and a clock timer delivers it to
 * `b.onReceive` at its arrival time, and vice versa. Deterministic for given seeds on a
 * VirtualClock. Each direction keeps at most one pending clock timer (for its earliest
 * arrival), so the cost per packet is a heap push and pop in the link plus, at most, one
 * timer.
 */
export class EmulatedNetwork {
  readonly a: EmulatedEndpoint;
  readonly b: EmulatedEndpoint;
  readonly linkAToB: EmulatedLink;
  readonly linkBToA: EmulatedLink;
  private readonly clock: Clock;
  private readonly pumps: LinkPump[];

  constructor(options: EmulatedNetworkOptions) {
    this.clock = options.clock;
    const startUs = this.clock.nowUs();
    const ab: EmulatedLinkOptions = { traceStartUs: startUs, ...options.aToB };
    const ba: EmulatedLinkOptions = options.bToA
      ? { traceStartUs: startUs, ...options.bToA }
      : { ...ab, seed: ((ab.seed ?? 1) + 1) >>> 0 };
    this.linkAToB = new EmulatedLink(ab);
    this.linkBToA = new EmulatedLink(ba);
    let a: EmulatedEndpoint | undefined;
    let b: EmulatedEndpoint | undefined;
    const pumpAB = new LinkPump(this.clock, this.linkAToB, (d, t) => b!.receive(d, t));
    const pumpBA = new LinkPump(this.clock, this.linkBToA, (d, t) => a!.receive(d, t));
    a = new EmulatedEndpoint("A", (d) => pumpAB.send(d));
    b = new EmulatedEndpoint("B", (d) => pumpBA.send(d));
    this.a = a;
    this.b = b;
    this.pumps = [pumpAB, pumpBA];
  }

  /** Counters of both links, keyed `aToB.*` and `bToA.*`. */
  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    const add = (prefix: string, s: EmulatedLinkStats): void => {
      for (const [k, v] of Object.entries(s)) out[`${prefix}.${k}`] = v;
    };
    add("aToB", this.linkAToB.stats());
    add("bToA", this.linkBToA.stats());
    return out;
  }

  /** Closes both endpoints and links and cancels pending timers. Idempotent. */
  close(): void {
    this.a.close();
    this.b.close();
    for (const p of this.pumps) p.close();
  }
}

/** Moves datagrams from a link to a receiver on the clock, with one pending timer. */
class LinkPump {
  private timer: TimerHandle | undefined;
  private timerAtUs = Infinity;
  private closed = false;
  private readonly onTimer = (nowUs: number): void => {
    this.timer = undefined;
    this.timerAtUs = Infinity;
    if (this.closed) return;
    this.link.deliverDue(nowUs, (d) => this.receive(d, nowUs));
    this.schedule();
  };

  constructor(
    private readonly clock: Clock,
    private readonly link: EmulatedLink,
    private readonly receive: (d: Uint8Array, nowUs: number) => void,
  ) {}

  send(data: Uint8Array): void {
    if (this.closed) return;
    this.link.push(data, this.clock.nowUs());
    this.schedule();
  }

  private schedule(): void {
    const next = this.link.nextEventUs();
    if (next === undefined || next >= this.timerAtUs) return;
    this.timer?.cancel();
    this.timerAtUs = next;
    this.timer = this.clock.at(next, this.onTimer);
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.link.close();
  }
}
