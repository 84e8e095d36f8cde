import { createSocket } from "node:dgram";
import type { RemoteInfo, Socket } from "node:dgram";
import { isIP } from "node:net";
import { checkInt, InvalidOptionError, RtcpipeError } from "../errors.js";
import { RealClock } from "../pipeline/clock.js";
import type { Clock } from "../pipeline/clock.js";
import type { Transport } from "./transport.js";

/** A UDP address. */
export interface UdpAddress {
  address: string;
  port: number;
}

/** Options of UdpTransport.open. */
export interface UdpTransportOptions {
  /** Local address to bind. Default "127.0.0.1". An IPv6 address opens a udp6 socket. */
  bindAddress?: string;
  /** Local port. Default 0 (the OS picks one; read it from `localPort`). */
  port?: number;
  /**
   * The peer. When absent, the transport is symmetric: the source of the first datagram
   * received becomes the peer, and sends before that are dropped (counted in `sendDropped`).
   */
  remote?: UdpAddress;
  /** Gives `nowUs` for `onReceive`. Default: a new RealClock. */
  clock?: Clock;
}

/** Counters of a UdpTransport. */
export interface UdpTransportStats {
  [key: string]: number;
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** Sends the OS reported as failed (asynchronously). */
  sendErrors: number;
  /** Sends dropped because no peer is known yet, or after close. */
  sendDropped: number;
  /** Datagrams from an address other than the peer, ignored. */
  packetsIgnored: number;
}

/**
 * A Transport over a real UDP socket (node:dgram). Datagrams from the socket are handed to
 * `onReceive` as Uint8Array views over the received bytes (no copy); the view stays valid
 * after the callback. Only datagrams from the peer are accepted once the peer is known.
 */
export class UdpTransport implements Transport {
  /** Set by the owner; called with each datagram from the peer. */
  onReceive: (data: Uint8Array, nowUs: number) => void = () => {};
  private remoteAddr: UdpAddress | undefined;
  private closed = false;
  private readonly counters: UdpTransportStats = {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    sendErrors: 0,
    sendDropped: 0,
    packetsIgnored: 0,
  };
  private readonly onSent = (err: Error | null): void => {
    if (err) this.counters.sendErrors++;
  };

  private constructor(
    private readonly socket: Socket,
    private readonly clock: Clock,
    remote: UdpAddress | undefined,
  ) {
    this.remoteAddr = remote;
    socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => this.handle(msg, rinfo));
    // Errors after bind (e.g. ICMP port unreachable surfacing on some systems) must not crash
    // the process; sends report theirs through the callback.
    socket.on("error", () => void this.counters.sendErrors++);
  }

  /** Binds a socket and resolves when it is ready. */
  static async open(options: UdpTransportOptions = {}): Promise<UdpTransport> {
    const bindAddress = options.bindAddress ?? "127.0.0.1";
    const family = isIP(bindAddress);
    if (family === 0) throw new InvalidOptionError(`Cannot use bindAddress=${JSON.stringify(bindAddress)}: allowed is an IPv4 or IPv6 address`);
    const port = checkInt("port", options.port ?? 0, 0, 65535);
    let remote: UdpAddress | undefined;
    if (options.remote) {
      if (isIP(options.remote.address) === 0) {
        throw new InvalidOptionError(`Cannot use remote.address=${JSON.stringify(options.remote.address)}: allowed is an IPv4 or IPv6 address`);
      }
      remote = { address: options.remote.address, port: checkInt("remote.port", options.remote.port, 1, 65535) };
    }
    const socket = createSocket(family === 6 ? "udp6" : "udp4");
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(new RtcpipeError("ERR_INVALID_OPTION", `Cannot bind UDP ${bindAddress}:${port}: ${err.message}`, { cause: err }));
      };
      socket.once("error", onError);
      socket.bind(port, bindAddress, () => {
        socket.off("error", onError);
        resolve();
      });
    });
    return new UdpTransport(socket, options.clock ?? new RealClock(), remote);
  }

  /** The bound local port. */
  get localPort(): number {
    return this.socket.address().port;
  }

  /** The bound local address. */
  get localAddress(): string {
    return this.socket.address().address;
  }

  /** The peer, given or learned; undefined until known. */
  get remote(): UdpAddress | undefined {
    return this.remoteAddr ? { ...this.remoteAddr } : undefined;
  }

  /** Sets (or changes) the peer, e.g. once both ends of a loopback pair have bound. */
  connectTo(remote: UdpAddress): void {
    if (isIP(remote.address) === 0) {
      throw new InvalidOptionError(`Cannot use remote.address=${JSON.stringify(remote.address)}: allowed is an IPv4 or IPv6 address`);
    }
    this.remoteAddr = { address: remote.address, port: checkInt("remote.port", remote.port, 1, 65535) };
  }

  /**
   * Sends one datagram to the peer. The bytes are copied first, so the caller may reuse its
   * buffer at once. Never throws: failures are counted.
   */
  send(data: Uint8Array, _nowUs?: number): void {
    const r = this.remoteAddr;
    if (this.closed || !r) {
      this.counters.sendDropped++;
      return;
    }
    this.counters.packetsSent++;
    this.counters.bytesSent += data.byteLength;
    try {
      // new Uint8Array(x) copies even when x is a Buffer (whose slice() is a view).
      this.socket.send(new Uint8Array(data), r.port, r.address, this.onSent);
    } catch {
      this.counters.sendErrors++;
    }
  }

  stats(): UdpTransportStats {
    return { ...this.counters };
  }

  /** Closes the socket. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }

  private handle(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    const r = this.remoteAddr;
    if (!r) this.remoteAddr = { address: rinfo.address, port: rinfo.port };
    else if (r.port !== rinfo.port || r.address !== rinfo.address) {
      this.counters.packetsIgnored++;
      return;
    }
    this.counters.packetsReceived++;
    this.counters.bytesReceived += msg.byteLength;
    this.onReceive(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), this.clock.nowUs());
  }
}
