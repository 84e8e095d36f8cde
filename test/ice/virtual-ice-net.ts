/**
 * Two (or more) IceAgents wired in memory on a virtual clock: transmits are delivered to the
 * agent owning the destination address after `delayUs`, through an optional filter (loss,
 * blocking) and an optional source rewrite (a NAT, to make peer-reflexive candidates).
 * Signaling is immediate: candidates, credentials and restarts of one agent reach the other.
 */
import { IceAgent, type IceEvent, type IceOutput } from "../../src/ice/ice-agent.js";
import { formatTransportAddress, transportAddress, type TransportAddress } from "../../src/stun/transport-address.js";

export interface Delivery {
  atUs: number;
  seq: number;
  from: TransportAddress;
  to: TransportAddress;
  data: Uint8Array;
}

export interface NetNode {
  name: string;
  agent: IceAgent;
  events: { atUs: number; event: IceEvent }[];
  received: { atUs: number; data: Uint8Array }[];
  peer?: NetNode;
  /** Forward signaling to the peer (default true). */
  signal: boolean;
}

export class VirtualIceNet {
  nowUs = 0;
  delayUs = 1000;
  readonly nodes: NetNode[] = [];
  private readonly owners = new Map<string, { node: NetNode; socketId: number }>();
  private queue: Delivery[] = [];
  private seq = 0;
  delivered = 0;
  dropped = 0;
  /** Return false to drop a datagram. */
  filter: (d: Delivery) => boolean = () => true;
  /** Source address rewrite (NAT): key "addr:port" of the real source. */
  readonly nat = new Map<string, TransportAddress>();

  add(name: string, agent: IceAgent, addresses: string[]): NetNode {
    const node: NetNode = { name, agent, events: [], received: [], signal: true };
    this.nodes.push(node);
    addresses.forEach((a, i) => {
      const [ip, port] = a.split(":") as [string, string];
      const addr = transportAddress(ip, Number(port));
      this.owners.set(formatTransportAddress(addr), { node, socketId: i });
      this.handle(node, agent.addLocalSocket(i, addr));
    });
    return node;
  }

  /** Connects a and b for signaling, sets credentials both ways and starts gathering. */
  pairUp(a: NetNode, b: NetNode): void {
    a.peer = b;
    b.peer = a;
    const ca = a.agent.localCredentials;
    const cb = b.agent.localCredentials;
    this.handle(a, a.agent.setRemoteCredentials(cb.ufrag, cb.pwd, this.nowUs));
    this.handle(b, b.agent.setRemoteCredentials(ca.ufrag, ca.pwd, this.nowUs));
    this.handle(a, a.agent.gather(this.nowUs));
    this.handle(b, b.agent.gather(this.nowUs));
  }

  /** Makes `node`'s socket appear as `external` to everyone (a 1:1 NAT). */
  addNat(node: NetNode, socketId: number, external: string): void {
    const [ip, port] = external.split(":") as [string, string];
    const ext = transportAddress(ip, Number(port));
    this.nat.set(formatTransportAddress(this.addressOf(node, socketId)), ext);
    this.owners.set(formatTransportAddress(ext), { node, socketId });
  }

  addressOf(node: NetNode, socketId = 0): TransportAddress {
    for (const [k, v] of this.owners) if (v.node === node && v.socketId === socketId && !this.isExternal(k)) {
      const i = k.lastIndexOf(":");
      return transportAddress(k.slice(0, i), Number(k.slice(i + 1)));
    }
    throw new Error("no such socket");
  }

  private isExternal(key: string): boolean {
    for (const e of this.nat.values()) if (formatTransportAddress(e) === key) return true;
    return false;
  }

  handle(node: NetNode, out: IceOutput): void {
    for (const t of out.transmits) {
      const src = this.addressOf(node, t.socketId);
      const from = this.nat.get(formatTransportAddress(src)) ?? src;
      const d: Delivery = { atUs: this.nowUs + this.delayUs, seq: this.seq++, from, to: t.to, data: t.data.slice() };
      if (!this.filter(d)) {
        this.dropped++;
        continue;
      }
      this.queue.push(d);
    }
    for (const e of out.events) {
      node.events.push({ atUs: this.nowUs, event: e });
      if (e.type === "data") node.received.push({ atUs: this.nowUs, data: e.data.slice() });
      const peer = node.peer;
      if (!peer || !node.signal) continue;
      if (e.type === "candidate") this.handle(peer, peer.agent.addRemoteCandidate(e.candidate, this.nowUs));
      if (e.type === "gathering-complete") this.handle(peer, peer.agent.setRemoteEndOfCandidates(this.nowUs));
      if (e.type === "restarted") this.handle(peer, peer.agent.setRemoteCredentials(e.ufrag, e.pwd, this.nowUs));
    }
  }

  /** Injects a datagram as if `from` sent it to `to`. */
  inject(from: TransportAddress, to: TransportAddress, data: Uint8Array): void {
    this.queue.push({ atUs: this.nowUs, seq: this.seq++, from, to, data });
  }

  /** Runs until `untilUs` (absolute), or until `stop()` returns true. */
  run(untilUs: number, stop: () => boolean = () => false): void {
    for (let guard = 0; guard < 2_000_000; guard++) {
      if (stop()) return;
      let next = Infinity;
      for (const d of this.queue) next = Math.min(next, d.atUs);
      for (const n of this.nodes) next = Math.min(next, n.agent.nextTimeoutUs() ?? Infinity);
      if (next > untilUs) {
        this.nowUs = untilUs;
        return;
      }
      this.nowUs = Math.max(this.nowUs, next);
      const due = this.queue.filter((d) => d.atUs <= this.nowUs).sort((a, b) => a.atUs - b.atUs || a.seq - b.seq);
      this.queue = this.queue.filter((d) => d.atUs > this.nowUs);
      for (const d of due) {
        const owner = this.owners.get(formatTransportAddress(d.to));
        if (!owner) {
          this.dropped++;
          continue;
        }
        this.delivered++;
        this.handle(owner.node, owner.node.agent.handleDatagram(d.data, d.from, owner.socketId, this.nowUs));
      }
      for (const n of this.nodes) {
        const t = n.agent.nextTimeoutUs();
        if (t !== undefined && t <= this.nowUs) this.handle(n, n.agent.tick(this.nowUs));
      }
    }
    throw new Error("virtual net: too many steps (a busy loop?)");
  }

  /** Sends media from `node` now. */
  send(node: NetNode, data: Uint8Array): void {
    this.handle(node, node.agent.send(data, this.nowUs));
  }
}

export function eventsOf<T extends IceEvent["type"]>(node: NetNode, type: T): Extract<IceEvent, { type: T }>[] {
  return node.events.filter((e) => e.event.type === type).map((e) => e.event as Extract<IceEvent, { type: T }>);
}
