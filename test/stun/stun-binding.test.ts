import { createSocket } from "node:dgram";
import { describe, expect, it } from "vitest";
import { StunAttributeType as T } from "../../src/stun/stun-attribute-type.js";
import { bindingResponseAddress, createBindingError, createBindingRequest, createBindingSuccess, StunErrorResponseError } from "../../src/stun/stun-binding.js";
import { stunBindingRequest, StunTimeoutError } from "../../src/stun/stun-binding-udp.js";
import { shortTermKey } from "../../src/stun/stun-credentials.js";
import { StunMessage } from "../../src/stun/stun-message.js";
import { StunClass, StunMethod } from "../../src/stun/stun-message-type.js";
import { transportAddress } from "../../src/stun/transport-address.js";

const TID = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);

describe("Binding request helpers (RFC 8489 3, 6)", () => {
  it("a request with FINGERPRINT, answered with XOR-MAPPED-ADDRESS under the short-term key (RFC 8445 7.3)", () => {
    const req = StunMessage.parse(createBindingRequest(TID, { software: "rtcpipe" }));
    expect([req.messageClass, req.method, req.hasFingerprint]).toEqual([StunClass.request, StunMethod.binding, true]);
    const key = shortTermKey("icepwd");
    const mapped = transportAddress("2001:db8::7", 9999);
    const res = StunMessage.parse(createBindingSuccess(req, mapped, { integrityKey: key }));
    expect(res.transactionId).toEqual(TID);
    expect(res.verifyIntegrity(key)).toBe(true);
    expect(bindingResponseAddress(res)).toEqual(mapped);
  });

  it("RFC 8489 6.3.1: a 420 names the unknown comprehension-required attributes; an error response becomes StunErrorResponseError", () => {
    const req = StunMessage.parse(new StunMessage({ messageClass: StunClass.request, method: StunMethod.binding, transactionId: TID }).add(0x7abc, Uint8Array.of(1)).serialize());
    const res = StunMessage.parse(createBindingError(req, 420, "Unknown Attribute"));
    expect(res.unknownAttributes).toEqual([0x7abc]);
    expect(() => bindingResponseAddress(res)).toThrow(StunErrorResponseError);
    expect(() => bindingResponseAddress(res)).toThrow(/Cannot learn the reflexive address: the server answered 420 Unknown Attribute/);
  });

  it("falls back to MAPPED-ADDRESS (RFC 8489 14.1) when there is no XOR-MAPPED-ADDRESS", () => {
    const m = new StunMessage({ messageClass: StunClass.successResponse, method: StunMethod.binding, transactionId: TID }).addAddress(T.mappedAddress, transportAddress("192.0.2.5", 5));
    expect(bindingResponseAddress(StunMessage.parse(m.serialize()))).toEqual(transportAddress("192.0.2.5", 5));
  });

  it("stunBindingRequest: a silent server gives StunTimeoutError after the bounded transmissions, all of them seen by the server", async () => {
    const silent = createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    let seen = 0;
    silent.on("message", () => seen++);
    const err = await stunBindingRequest({ address: "127.0.0.1", port: silent.address().port }, { rtoMs: 10, maxTransmits: 4, lastWaitRto: 4 }).catch((e: unknown) => e);
    silent.close();
    expect(err).toBeInstanceOf(StunTimeoutError);
    expect((err as Error).message).toMatch(/no answer after 4 transmissions/);
    expect(seen).toBe(4);
  });
});
