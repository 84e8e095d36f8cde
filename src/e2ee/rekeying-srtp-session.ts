/**
 * One direction of SRTP across rekeys: holds the current SrtpSession and, after a rekey, the
 * next one, and picks per packet by its SRTP packet index (RFC 3711 Section 3.3.1:
 * i = 2^16 * ROC + SEQ) against the switch index the sender announced for that SSRC in the
 * signed rekey messages (CallSrtpKeys.sendSwitchIndexes / receiveSwitchIndexes). Packets below
 * the switch index, reordered ones included, still use the current keys; from it on, the next.
 *
 * Why by index and not by MKI (RFC 3711 Section 3.1's optional Master Key Identifier): the MKI
 * adds bytes to every packet, must be negotiated (SDES "|1:4" lifetime/MKI parameters, RFC 4568
 * Section 6.1; DTLS-SRTP's use_mki), and SrtpSession does not implement it; browsers do not
 * send it either. The index needs nothing on the wire: the sender announces it ahead, and the
 * packet's own sequence number says which side of the switch it is on. RFC 3711 Section 8.1
 * describes the same <From, To> index scheme for key changes without MKI.
 *
 * Robustness: if a packet fails authentication (or the replay check) under the key its index
 * selects, the other session (if any) is tried once (counted as `fallbacks`): this covers a sender that switched
 * late (its exchange finished after the announced index) or early (streams it did not announce).
 * SRTCP carries its own index, unrelated to RTP's, so SRTCP is unprotected with the current keys
 * and then the next (the next first once an SRTCP packet authenticated under it: the peer has
 * switched); it is protected with the next keys once any RTP stream switched.
 *
 * The current session is retired (dropped) once every announced SSRC is `retireAfterPackets`
 * past its switch index (receive side) or has reached it (send side), or on promote().
 *
 * Send side and SRTP ROC: a fresh SrtpSession assumes ROC 0 for an SSRC it has not protected yet,
 * and SrtpSession has no setter for the send ROC. When a stream's first packet under a scheduled
 * session has a ROC above 0, this class first brings that session's send state to the index
 * before it by protecting a few discarded dummy packets, stepping at most 30000 indexes at a time
 * (about 2.2 per ROC unit, so ~70 for a 2-hour 300 packet/s stream); they are never sent, and
 * each of their indexes is below the stream's real next one. A `setSendRolloverCounter` on
 * SrtpSession would make this unnecessary.
 */
import { AuthenticationError, MalformedPacketError, ReplayError, checkInt } from "../errors.js";
import { guessRolloverCounter } from "../srtp/guess-rollover-counter.js";
import type { SrtpContext } from "../srtp/srtp-context.js";
import type { SrtpSession, SrtpStats } from "../srtp/srtp-session.js";
import type { SwitchIndex } from "./key-message-codec.js";

/** Options of RekeyingSrtpSession. */
export interface RekeyingSrtpSessionOptions {
  /**
   * Receive side: how many packets past its switch index each announced SSRC must be before the
   * old session is dropped (reordered packets older than that fail). Default 2048, allowed
   * 0..1048576; keep it above the replay window.
   */
  retireAfterPackets?: number;
}

/**
 * Counters. The SrtpStats fields count outcomes across the sessions (a packet that failed under
 * one session and authenticated under the other is `unprotected` and a `fallback`, not an
 * `authFailure`; the ROC priming packets are not `protected`).
 */
export type RekeyingSrtpStats = SrtpStats & {
  /** Packets handled by the session in the current / the next slot (after a retirement the new keys are in the current slot). */
  current: number;
  next: number;
  /** Packets that failed under the index-selected session and succeeded under the other. */
  fallbacks: number;
  /** Switches scheduled, and old sessions retired. */
  scheduled: number;
  retired: number;
  /** Dummy packets protected to bring a next send session to a stream's ROC. */
  rocPrimingPackets: number;
};

interface StreamIndex {
  roc: number;
  highestSeq: number;
}

/** One direction of SRTP across rekeys (see the file comment). */
export class RekeyingSrtpSession implements SrtpContext {
  private cur: SrtpSession;
  private nxt: SrtpSession | undefined;
  private switchAt = new Map<number, number>();
  private readonly retireAfter: number;
  /** Highest packet index per SSRC: sent (protect) and authenticated (unprotect). */
  private readonly sent = new Map<number, StreamIndex>();
  private readonly received = new Map<number, StreamIndex>();
  private anySentWithNext = false;
  /** An SRTCP packet authenticated under the next session: try it first from now on. */
  private rtcpFromNext = false;
  /** Set by tryBoth: the packet was handled by the next session. */
  private usedNext = false;
  /** The constructor's session, never positioned (see positionSendStream). */
  private readonly initial: SrtpSession;
  /** SSRCs each scheduled session has protected already. */
  private readonly positioned = new WeakMap<SrtpSession, Set<number>>();
  private readonly counters: RekeyingSrtpStats = {
    protected: 0,
    unprotected: 0,
    authFailures: 0,
    replayed: 0,
    malformed: 0,
    current: 0,
    next: 0,
    fallbacks: 0,
    scheduled: 0,
    retired: 0,
    rocPrimingPackets: 0,
  };

  /**
   * @param current the session of the call's current keys, used as it is (it may already carry
   *   the streams). Sessions passed to scheduleSwitch must be fresh (created for that switch).
   */
  constructor(current: SrtpSession, options: RekeyingSrtpSessionOptions = {}) {
    this.cur = current;
    this.initial = current;
    this.retireAfter = checkInt("retireAfterPackets", options.retireAfterPackets ?? 2048, 0, 1 << 20);
  }

  /** The session in use for packets below the switch (or all packets when no switch is pending). */
  get current(): SrtpSession {
    return this.cur;
  }

  /** The session packets from the switch index on use, until it becomes current. */
  get next(): SrtpSession | undefined {
    return this.nxt;
  }

  /** Bytes protectRtp adds to a packet (the tag; every epoch of a call keeps the suite). */
  get rtpOverheadBytes(): number {
    return this.cur.rtpOverheadBytes;
  }

  /**
   * Send side: per SSRC protected so far, the SRTP packet index (2^16 * ROC + SEQ, RFC 3711
   * Section 3.3.1) its next packet in sequence gets: the base for the switch indexes of a rekey.
   */
  nextSendIndexes(): SwitchIndex[] {
    return [...this.sent].map(([ssrc, st]) => ({ ssrc, index: st.roc * 65536 + st.highestSeq + 1 }));
  }

  /**
   * Installs `next` for the packets of each SSRC in `switchIndexes` from its index on (SSRCs not
   * listed keep the current session and fall back to the next). A switch still pending is
   * completed first (its next session becomes current).
   */
  scheduleSwitch(next: SrtpSession, switchIndexes: readonly SwitchIndex[]): void {
    if (this.nxt !== undefined) this.promote();
    this.nxt = next;
    this.switchAt = new Map(switchIndexes.map((s) => [s.ssrc >>> 0, s.index]));
    this.anySentWithNext = false;
    this.rtcpFromNext = false;
    this.counters.scheduled++;
    // Receive side: give the next session each stream's ROC, from the switch index (listed) or
    // from what was received so far (not listed).
    for (const [ssrc, st] of this.received) {
      if (!this.switchAt.has(ssrc)) next.setReceiveRolloverCounter(ssrc, st.roc, st.highestSeq);
    }
    for (const [ssrc, index] of this.switchAt) {
      if (index > 0) next.setReceiveRolloverCounter(ssrc, Math.floor((index - 1) / 65536), (index - 1) % 65536);
    }
  }

  /** Makes the next session current now (dropping the old one). */
  promote(): void {
    if (this.nxt === undefined) return;
    this.cur = this.nxt;
    this.nxt = undefined;
    this.rtcpFromNext = false;
    this.switchAt.clear();
    this.counters.retired++;
  }

  /** Protects an RTP packet with the session its index selects (a new slab view, as SrtpSession). */
  protectRtp(packet: Uint8Array): Uint8Array {
    const ssrc = readSsrc(packet, 8);
    const seq = packet.length >= 4 ? ((packet[2] as number) << 8) | (packet[3] as number) : 0;
    const index = this.track(this.sent, ssrc, seq, false);
    const useNext = this.nxt !== undefined && this.pick(ssrc, index);
    const session = useNext ? (this.nxt as SrtpSession) : this.cur;
    if (session !== this.initial) this.positionSendStream(session, ssrc, index);
    let out: Uint8Array;
    try {
      out = session.protectRtp(packet);
    } catch (err) {
      if (err instanceof MalformedPacketError) this.counters.malformed++;
      throw err;
    }
    this.counters.protected++;
    this.track(this.sent, ssrc, seq, true);
    if (useNext) {
      this.counters.next++;
      this.anySentWithNext = true;
      this.maybeRetire(this.sent, 0);
    } else {
      this.counters.current++;
    }
    return out;
  }

  /** Verifies and decrypts an SRTP packet with the session its index selects (then the other). */
  unprotectRtp(packet: Uint8Array): Uint8Array {
    const ssrc = readSsrc(packet, 8);
    const seq = packet.length >= 4 ? ((packet[2] as number) << 8) | (packet[3] as number) : 0;
    const index = this.track(this.received, ssrc, seq, false);
    const next = this.nxt;
    const first = next !== undefined && this.pick(ssrc, index) ? next : this.cur;
    const out = this.tryBoth(first, (s) => s.unprotectRtp(packet));
    this.track(this.received, ssrc, seq, true);
    if (next !== undefined) this.maybeRetire(this.received, this.retireAfter);
    return out;
  }

  /** Protects an RTCP packet: with the next session once any RTP stream switched to it. */
  protectRtcp(packet: Uint8Array): Uint8Array {
    const s = this.nxt !== undefined && this.anySentWithNext ? this.nxt : this.cur;
    try {
      const out = s.protectRtcp(packet);
      this.counters.protected++;
      return out;
    } catch (err) {
      if (err instanceof MalformedPacketError) this.counters.malformed++;
      throw err;
    }
  }

  /** Verifies and decrypts an SRTCP packet: current session first (next first once the peer switched), then the other. */
  unprotectRtcp(packet: Uint8Array): Uint8Array {
    const first = this.nxt !== undefined && this.rtcpFromNext ? this.nxt : this.cur;
    const out = this.tryBoth(first, (s) => s.unprotectRtcp(packet));
    if (this.usedNext) this.rtcpFromNext = true;
    return out;
  }

  /** A copy of the counters. */
  stats(): RekeyingSrtpStats {
    return { ...this.counters };
  }

  // -----------------------------------------------------------------------------------------------

  /** True when the packet of `ssrc` at `index` belongs to the next session. */
  private pick(ssrc: number, index: number): boolean {
    const at = this.switchAt.get(ssrc);
    return at === undefined ? false : index >= at;
  }

  private tryBoth(first: SrtpSession, op: (s: SrtpSession) => Uint8Array): Uint8Array {
    try {
      const out = this.tryBothSessions(first, op);
      this.counters.unprotected++;
      return out;
    } catch (err) {
      if (err instanceof AuthenticationError) this.counters.authFailures++;
      else if (err instanceof ReplayError) this.counters.replayed++;
      else if (err instanceof MalformedPacketError) this.counters.malformed++;
      throw err;
    }
  }

  private tryBothSessions(first: SrtpSession, op: (s: SrtpSession) => Uint8Array): Uint8Array {
    const other = first === this.cur ? this.nxt : this.cur;
    let out: Uint8Array;
    let used = first;
    try {
      out = op(first);
    } catch (err) {
      // A ReplayError from the wrong session says nothing (its window holds the other key's
      // indexes, e.g. SRTCP index 0 of both), so both it and a failed tag move on to the other.
      if (!(err instanceof AuthenticationError || err instanceof ReplayError) || other === undefined) throw err;
      try {
        out = op(other);
      } catch (err2) {
        throw err2 instanceof AuthenticationError ? err : err2;
      }
      used = other;
      this.counters.fallbacks++;
    }
    this.usedNext = used !== this.cur;
    if (this.usedNext) this.counters.next++;
    else this.counters.current++;
    return out;
  }

  /** The packet index of `seq` on `ssrc` (RFC 3711 Section 3.3.1); with `commit`, records it. */
  private track(map: Map<number, StreamIndex>, ssrc: number, seq: number, commit: boolean): number {
    const st = map.get(ssrc);
    if (st === undefined) {
      if (commit) map.set(ssrc, { roc: 0, highestSeq: seq });
      return seq;
    }
    const v = Math.max(0, guessRolloverCounter(st.highestSeq, st.roc, seq));
    if (commit) {
      if (v > st.roc) {
        st.roc = v;
        st.highestSeq = seq;
      } else if (v === st.roc && seq > st.highestSeq) {
        st.highestSeq = seq;
      }
    }
    return v * 65536 + seq;
  }

  private maybeRetire(map: Map<number, StreamIndex>, after: number): void {
    if (this.switchAt.size === 0) return;
    for (const [ssrc, at] of this.switchAt) {
      const st = map.get(ssrc);
      if (st === undefined || st.roc * 65536 + st.highestSeq < at + after) return;
    }
    this.promote();
  }

  /**
   * Before a scheduled session protects its first packet of `ssrc`, at packet index `index`:
   * when that index has a ROC above 0, brings the session's send state to index - 1.
   */
  private positionSendStream(session: SrtpSession, ssrc: number, index: number): void {
    let done = this.positioned.get(session);
    if (done === undefined) {
      done = new Set();
      this.positioned.set(session, done);
    }
    if (done.has(ssrc)) return;
    done.add(ssrc);
    if (index - 1 >= 65536) this.primeSendRoc(session, ssrc, index - 1);
  }

  private primeSendRoc(session: SrtpSession, ssrc: number, targetIndex: number): void {
    const dummy = new Uint8Array(12);
    dummy[0] = 0x80;
    dummy[8] = ssrc >>> 24;
    dummy[9] = (ssrc >>> 16) & 0xff;
    dummy[10] = (ssrc >>> 8) & 0xff;
    dummy[11] = ssrc & 0xff;
    for (let i = Math.min(targetIndex, 29999); ; i = Math.min(targetIndex, i + 30000)) {
      dummy[2] = (i >>> 8) & 0xff;
      dummy[3] = i & 0xff;
      session.protectRtp(dummy);
      this.counters.rocPrimingPackets++;
      if (i === targetIndex) break;
    }
  }
}

function readSsrc(p: Uint8Array, o: number): number {
  if (p.length < o + 4) return 0;
  return (((p[o] as number) << 24) | ((p[o + 1] as number) << 16) | ((p[o + 2] as number) << 8) | (p[o + 3] as number)) >>> 0;
}
