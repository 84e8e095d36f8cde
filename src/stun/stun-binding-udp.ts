/**
 * One Binding request on a real UDP socket (node:dgram), driven on the wall clock: the thin
 * wrapper around StunClientTransaction and the pure Binding helpers.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { randomFillSync } from "node:crypto";
import { RtcpipeError } from "../errors.js";
import { isStunPacket } from "./is-stun-packet.js";
import { bindingResponseAddress, createBindingRequest, type BindingRequestOptions } from "./stun-binding.js";
import { StunMessage, transactionKey } from "./stun-message.js";
import { StunClientTransaction, type StunTransactionOptions } from "./stun-transaction.js";
import { newTransactionId } from "./transaction-id.js";
import { transportAddress, type TransportAddress } from "./transport-address.js";

/** Options of stunBindingRequest. */
export interface StunBindingRequestOptions extends BindingRequestOptions, StunTransactionOptions {
  /** Send from this socket (left open). Default: a new udp4/udp6 socket bound to `bindAddress`, closed after. */
  socket?: Socket;
  /** Local address of the new socket. Default "127.0.0.1" for an IPv4 server, "::1" for IPv6. */
  bindAddress?: string;
  /** Local port of the new socket. Default 0 (any). */
  port?: number;
}

/** What a Binding request learnt. */
export interface StunBindingResult {
  /** The server-reflexive address: where the server saw the request come from. */
  mapped: TransportAddress;
  /** The local address of the socket used. */
  local: TransportAddress;
  /** Round-trip time, when the first transmission was answered. */
  rttMs: number | undefined;
  /** Transmissions sent. */
  transmits: number;
}

/** The transaction timed out (RFC 8489 6.2.1). */
export class StunTimeoutError extends RtcpipeError {
  constructor(message: string) {
    super("ERR_CLOSED", message);
  }
}

const nowUs = (): number => Math.round(performance.now() * 1000);

/** Sends a Binding request to `server` and resolves with the reflexive address (RFC 8489 3). */
export async function stunBindingRequest(server: { address: string; port: number }, options: StunBindingRequestOptions = {}): Promise<StunBindingResult> {
  const target = transportAddress(server.address, server.port);
  const own = options.socket === undefined;
  const socket = options.socket ?? createSocket(target.family === 6 ? "udp6" : "udp4");
  if (own) {
    await new Promise<void>((res, rej) => {
      socket.once("error", rej);
      socket.bind(options.port ?? 0, options.bindAddress ?? (target.family === 6 ? "::1" : "127.0.0.1"), () => {
        socket.off("error", rej);
        res();
      });
    });
  }
  const id = newTransactionId((out) => randomFillSync(out));
  const idKey = transactionKey(id);
  const tx = new StunClientTransaction(createBindingRequest(id, options), nowUs(), options);
  const la = socket.address();
  const local = transportAddress(la.address, la.port);
  return new Promise<StunBindingResult>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      socket.off("message", onMessage);
      if (own) socket.close();
    };
    const send = (): void => socket.send(tx.request, target.port, target.address);
    const schedule = (): void => {
      const next = tx.nextTimeoutUs();
      if (next === undefined) return;
      timer = setTimeout(() => {
        const action = tx.tick(nowUs());
        if (action === "retransmit") send();
        if (action === "timeout") {
          finish();
          reject(new StunTimeoutError(`Cannot learn the reflexive address from ${target.address}:${target.port}: no answer after ${tx.transmits} transmissions`));
          return;
        }
        schedule();
      }, Math.max(0, (next - nowUs()) / 1000));
    };
    const onMessage = (data: Buffer, rinfo: RemoteInfo): void => {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (!isStunPacket(bytes) || rinfo.port !== target.port || rinfo.address !== target.address) return;
      let m: StunMessage;
      try {
        m = StunMessage.parse(bytes);
      } catch {
        return; // malformed: dropped
      }
      if (m.transactionKey !== idKey) return;
      const rttUs = tx.complete(nowUs());
      finish();
      try {
        resolve({ mapped: bindingResponseAddress(m), local, rttMs: rttUs === undefined ? undefined : rttUs / 1000, transmits: tx.transmits });
      } catch (e) {
        reject(e);
      }
    };
    socket.on("message", onMessage);
    send();
    schedule();
  });
}
