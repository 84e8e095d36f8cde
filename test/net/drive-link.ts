import type { EmulatedLink } from "../../src/net/emulated-link.js";

/** One datagram delivered by a link in a test: its send index and times. */
export interface Delivery {
  id: number;
  sentUs: number;
  atUs: number;
  size: number;
}

/**
 * Sends `count` datagrams of `size` bytes every `intervalUs` (starting at `startUs`) through
 * `link`, delivering due ones before each send the way a clock would, and returns every
 * delivery in order. The first 4 bytes of each datagram carry its index.
 */
export function driveLink(
  link: EmulatedLink,
  count: number,
  intervalUs: number,
  size = 100,
  startUs = 0,
): Delivery[] {
  const out: Delivery[] = [];
  const sentAt: number[] = [];
  const deliver = (d: Uint8Array, atUs: number): void => {
    const id = new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0);
    out.push({ id, sentUs: sentAt[id]!, atUs, size: d.byteLength });
  };
  const buf = new Uint8Array(size);
  const view = new DataView(buf.buffer);
  for (let i = 0; i < count; i++) {
    const t = startUs + i * intervalUs;
    link.deliverDue(t, deliver);
    view.setUint32(0, i);
    sentAt.push(t);
    link.push(buf, t);
  }
  link.deliverDue(Infinity, deliver);
  return out;
}

/** Ids of datagrams that never arrived. */
export function missingIds(deliveries: readonly Delivery[], count: number): number[] {
  const seen = new Uint8Array(count);
  for (const d of deliveries) seen[d.id] = 1;
  const missing: number[] = [];
  for (let i = 0; i < count; i++) if (seen[i] === 0) missing.push(i);
  return missing;
}
