/**
 * The Binding request (RFC 8489 3, 6): a client learns its server-reflexive transport address,
 * the XOR-MAPPED-ADDRESS (or, from an RFC 3489-era server, MAPPED-ADDRESS) of the success
 * response. Pure helpers; `stunBindingRequest` (stun-binding-udp.ts) runs one on a socket.
 */
import { MalformedPacketError, RtcpipeError } from "../errors.js";
import { StunAttributeType as T } from "./stun-attribute-type.js";
import { StunMessage } from "./stun-message.js";
import { StunClass, StunMethod } from "./stun-message-type.js";
import type { TransportAddress } from "./transport-address.js";

/** Options of a Binding request. */
export interface BindingRequestOptions {
  /** SOFTWARE attribute. Default none. */
  software?: string;
  /** Append FINGERPRINT. Default true. */
  fingerprint?: boolean;
}

/** A STUN server answered a Binding request with an error response. */
export class StunErrorResponseError extends RtcpipeError {
  /** The ERROR-CODE number (RFC 8489 14.8). */
  readonly errorCode: number;
  constructor(what: string, errorCode: number, reason: string) {
    super(errorCode === 401 || errorCode === 441 ? "ERR_AUTH_FAILED" : "ERR_CLOSED", `Cannot ${what}: the server answered ${errorCode} ${reason}`);
    this.errorCode = errorCode;
  }
}

/** The bytes of a Binding request with `transactionId`. */
export function createBindingRequest(transactionId: Uint8Array, options: BindingRequestOptions = {}): Uint8Array {
  const m = new StunMessage({ messageClass: StunClass.request, method: StunMethod.binding, transactionId });
  if (options.software !== undefined) m.addText(T.software, options.software);
  return m.serialize({ fingerprint: options.fingerprint ?? true });
}

/** Options of the Binding responses an ICE agent (or any STUN server side) sends. */
export interface BindingResponseOptions {
  /** Short-term key for MESSAGE-INTEGRITY (ICE: the local password, RFC 8445 7.3). */
  integrityKey?: Uint8Array;
  /** SOFTWARE attribute. Default none. */
  software?: string;
  /** Append FINGERPRINT. Default true (RFC 8445 7.3 requires it for ICE). */
  fingerprint?: boolean;
}

/** A Binding success response to `request` carrying `mapped` as XOR-MAPPED-ADDRESS (RFC 8489 6.3.1). */
export function createBindingSuccess(request: StunMessage, mapped: TransportAddress, options: BindingResponseOptions = {}): Uint8Array {
  const m = new StunMessage({ messageClass: StunClass.successResponse, method: StunMethod.binding, transactionId: request.transactionId });
  m.addXorAddress(T.xorMappedAddress, mapped);
  if (options.software !== undefined) m.addText(T.software, options.software);
  return m.serialize({ ...(options.integrityKey ? { integrityKey: options.integrityKey } : {}), fingerprint: options.fingerprint ?? true });
}

/**
 * A Binding error response to `request` (RFC 8489 6.3.4); for 420 the request's unknown
 * comprehension-required attributes go into UNKNOWN-ATTRIBUTES (6.3.1).
 */
export function createBindingError(request: StunMessage, code: number, reason: string, options: BindingResponseOptions = {}): Uint8Array {
  const m = new StunMessage({ messageClass: StunClass.errorResponse, method: StunMethod.binding, transactionId: request.transactionId });
  m.addErrorCode({ code, reason });
  if (code === 420) m.addUnknownAttributes(request.unknownComprehensionRequired);
  if (options.software !== undefined) m.addText(T.software, options.software);
  return m.serialize({ ...(options.integrityKey ? { integrityKey: options.integrityKey } : {}), fingerprint: options.fingerprint ?? true });
}

/**
 * The reflexive address of a Binding success response. Throws StunErrorResponseError for an
 * error response and MalformedPacketError when the response carries no address.
 */
export function bindingResponseAddress(response: StunMessage): TransportAddress {
  if (response.method !== StunMethod.binding) throw new MalformedPacketError(`Cannot read a Binding response: method is 0x${response.method.toString(16)}`);
  if (response.messageClass === StunClass.errorResponse) {
    const e = response.errorCode;
    throw new StunErrorResponseError("learn the reflexive address", e?.code ?? 0, e?.reason ?? "(no ERROR-CODE)");
  }
  if (response.messageClass !== StunClass.successResponse) throw new MalformedPacketError("Cannot read a Binding response: not a response");
  const a = response.getXorAddress(T.xorMappedAddress) ?? response.getAddress(T.mappedAddress);
  if (a === undefined) throw new MalformedPacketError("Cannot read a Binding response: no XOR-MAPPED-ADDRESS or MAPPED-ADDRESS");
  return a;
}
