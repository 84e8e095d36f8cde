/**
 * A TurnClient on a real UDP socket (node:dgram) and the wall clock: the thin wrapper for real
 * use. `TurnUdpSocket.connect` allocates a relayed address; `send(peer, data)` reaches the peer
 * through the relay and `onData` gets what peers send to the relayed address. Timers are the
 * wrapper's job; the protocol stays in the core.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { randomFillSync } from "node:crypto";
import { transportAddress, type TransportAddress } from "../stun/transport-address.js";
import { TurnClient, type TurnClientOptions, type TurnClientStats, type TurnEvent } from "./turn-client.js";
import { TurnError } from "./turn-error.js";
import { WallClockTimeout, wallClockUs } from "../net/wall-clock-timeout.js";

/** Options of TurnUdpSocket.connect. */
export interface TurnUdpSocketOptions extends Omit<TurnClientOptions, "randomFill" | "seed"> {
  /** Local address to bind. Default "127.0.0.1" (or "::1" for an IPv6 server). */
  bindAddress?: string;
  /** Local port. Default 0 (any). */
  port?: number;
}

/** Counters of a TurnUdpSocket: the core's plus the socket's. */
export interface TurnUdpSocketStats extends TurnClientStats {
  /** Datagrams from an address other than the TURN server, ignored. */
  foreignDropped: number;
  socketSendErrors: number;
  /** Datagrams and bytes (UDP payload) exchanged with the TURN server. */
  datagramsToServer: number;
  bytesToServer: number;
  datagramsFromServer: number;
  bytesFromServer: number;
}

const wallUs = wallClockUs;

/** A relayed UDP "socket" through a TURN server (RFC 8656). */
export class TurnUdpSocket {
  /** The core (for stats and direct use). */
  readonly client: TurnClient;
  /** Called for each datagram a peer sent to the relayed address (a view, valid after the call). */
  onData: (data: Uint8Array, peer: TransportAddress, viaChannel: boolean) => void = () => {};
  /** Called when the allocation, a permission or a channel binding fails after connect. */
  onError: (error: TurnError) => void = () => {};
  private readonly socket: Socket;
  private readonly timeout = new WallClockTimeout((now) => {
    this.client.tick(now);
    this.pump();
  }, true);
  private foreignDropped = 0;
  private socketSendErrors = 0;
  private datagramsToServer = 0;
  private bytesToServer = 0;
  private datagramsFromServer = 0;
  private bytesFromServer = 0;
  private closed = false;
  private allocWaiter: { resolve: () => void; reject: (e: TurnError) => void } | undefined;
  private closeWaiter: (() => void) | undefined;
  private readonly permissionWaiters = new Map<string, { resolve: () => void; reject: (e: TurnError) => void }[]>();
  private readonly channelWaiters = new Map<string, { resolve: (ch: number) => void; reject: (e: TurnError) => void }[]>();

  private constructor(socket: Socket, client: TurnClient) {
    this.socket = socket;
    this.client = client;
    socket.on("message", (data: Buffer, rinfo: RemoteInfo) => this.onMessage(data, rinfo));
    socket.on("error", () => {
      this.socketSendErrors++;
    });
  }

  /** Binds a socket and allocates on the server; rejects with a TurnError (bounded time). */
  static async connect(options: TurnUdpSocketOptions): Promise<TurnUdpSocket> {
    const client = new TurnClient({ ...options, randomFill: (out) => randomFillSync(out) });
    const socket = createSocket(client.server.family === 6 ? "udp6" : "udp4");
    await new Promise<void>((res, rej) => {
      socket.once("error", rej);
      socket.bind(options.port ?? 0, options.bindAddress ?? (client.server.family === 6 ? "::1" : "127.0.0.1"), () => {
        socket.off("error", rej);
        res();
      });
    });
    const s = new TurnUdpSocket(socket, client);
    try {
      await new Promise<void>((resolve, reject) => {
        s.allocWaiter = { resolve, reject };
        client.allocate(wallUs());
        s.pump();
      });
    } catch (e) {
      s.shutdown();
      throw e;
    }
    return s;
  }

  /** The relayed transport address peers send to. */
  get relayedAddress(): TransportAddress {
    return this.client.relayedAddress!;
  }

  /** Our server-reflexive address as the TURN server saw it. */
  get mappedAddress(): TransportAddress | undefined {
    return this.client.mappedAddress;
  }

  /** The local socket address. */
  get localAddress(): TransportAddress {
    const a = this.socket.address();
    return transportAddress(a.address, a.port);
  }

  /** Sends `data` to `peer` via the relay (ChannelData if bound, else Send indication). */
  send(peer: TransportAddress, data: Uint8Array): void {
    if (this.closed) return;
    this.client.send(peer, data, wallUs());
    this.pump();
  }

  /** Installs a permission for `peer`'s IP (RFC 8656 9). */
  createPermission(peer: TransportAddress): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const list = this.permissionWaiters.get(peer.address) ?? [];
      list.push({ resolve, reject });
      this.permissionWaiters.set(peer.address, list);
      this.client.createPermission(peer, wallUs());
      this.pump();
    });
  }

  /** Binds a channel to `peer` (RFC 8656 12); resolves with the channel number once bound. */
  bindChannel(peer: TransportAddress): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const key = `${peer.address}|${peer.port}`;
      const list = this.channelWaiters.get(key) ?? [];
      list.push({ resolve, reject });
      this.channelWaiters.set(key, list);
      this.client.bindChannel(peer, wallUs());
      this.pump();
    });
  }

  /**
   * Releases the allocation (Refresh LIFETIME 0) and closes the socket. Waits for the server's
   * answer at most `timeoutMs` (default 2000 ms); the allocation then expires on its own.
   */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.closeWaiter = resolve;
      timer = setTimeout(resolve, timeoutMs);
      this.client.close(wallUs());
      this.pump();
    });
    clearTimeout(timer);
    this.shutdown();
  }

  /** Counters. */
  stats(): TurnUdpSocketStats {
    return {
      ...this.client.stats(),
      foreignDropped: this.foreignDropped,
      socketSendErrors: this.socketSendErrors,
      datagramsToServer: this.datagramsToServer,
      bytesToServer: this.bytesToServer,
      datagramsFromServer: this.datagramsFromServer,
      bytesFromServer: this.bytesFromServer,
    };
  }

  private onMessage(data: Buffer, rinfo: RemoteInfo): void {
    if (rinfo.port !== this.client.server.port || rinfo.address !== this.client.server.address) {
      this.foreignDropped++;
      return;
    }
    this.datagramsFromServer++;
    this.bytesFromServer += data.byteLength;
    this.client.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), wallUs());
    this.pump();
  }

  private pump(): void {
    if (this.closed) return;
    const server = this.client.server;
    for (let b = this.client.pollTransmit(); b !== undefined; b = this.client.pollTransmit()) {
      this.datagramsToServer++;
      this.bytesToServer += b.length;
      this.socket.send(b, server.port, server.address, (err) => {
        if (err) this.socketSendErrors++;
      });
    }
    for (let e = this.client.pollEvent(); e !== undefined; e = this.client.pollEvent()) this.onEvent(e);
    this.schedule();
  }

  private schedule(): void {
    if (!this.closed) this.timeout.schedule(this.client.nextTimeoutUs());
  }


  private onEvent(e: TurnEvent): void {
    switch (e.type) {
      case "allocated":
        this.allocWaiter?.resolve();
        this.allocWaiter = undefined;
        return;
      case "data":
        this.onData(e.data, e.peer, e.viaChannel);
        return;
      case "permission":
        for (const w of this.permissionWaiters.get(e.peer.address) ?? []) w.resolve();
        this.permissionWaiters.delete(e.peer.address);
        return;
      case "channel": {
        const key = `${e.peer.address}|${e.peer.port}`;
        for (const w of this.channelWaiters.get(key) ?? []) w.resolve(e.channel);
        this.channelWaiters.delete(key);
        return;
      }
      case "error": {
        if (this.allocWaiter) {
          this.allocWaiter.reject(e.error);
          this.allocWaiter = undefined;
          return;
        }
        if (e.peer) {
          for (const w of this.permissionWaiters.get(e.peer.address) ?? []) w.reject(e.error);
          this.permissionWaiters.delete(e.peer.address);
          const key = `${e.peer.address}|${e.peer.port}`;
          for (const w of this.channelWaiters.get(key) ?? []) w.reject(e.error);
          this.channelWaiters.delete(key);
        }
        this.onError(e.error);
        return;
      }
      case "closed":
        this.closeWaiter?.();
        this.closeWaiter = undefined;
        return;
      case "refreshed":
        return;
    }
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.timeout.cancel();
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
