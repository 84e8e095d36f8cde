/**
 * A pipeline stage that verifies and decrypts incoming SRTP and SRTCP packets (RFC 3711,
 * RFC 7714) with an SrtpSession. Packets that fail (tag mismatch, replayed, malformed) are
 * counted by reason and dropped; `push` never throws for a bad packet.
 */
import { RtcpipeError } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import { isRtcpPacket } from "./is-rtcp-packet.js";
import type { SrtpPacketKind, SrtpStageOptions } from "./srtp-protect-stage.js";
import { SrtpSession } from "./srtp-session.js";

export class SrtpUnprotectStage extends StageCore<Uint8Array, Uint8Array> {
  readonly name: string;
  readonly session: SrtpSession;
  private readonly kind: SrtpPacketKind;
  private nIn = 0;
  private nOut = 0;
  private nDropped = 0;
  private nAuthFailures = 0;
  private nReplayed = 0;
  private nMalformed = 0;
  /** Drops for any other reason (e.g. input that is not a Uint8Array); never thrown out of push. */
  private nOtherErrors = 0;

  constructor(options: SrtpStageOptions) {
    super();
    this.session = options.session instanceof SrtpSession ? options.session : new SrtpSession(options.session);
    this.kind = options.kind ?? "auto";
    this.name = options.name ?? "srtpUnprotect";
  }

  push(packet: Uint8Array, nowUs: number): void {
    this.nIn++;
    let out: Uint8Array;
    try {
      const rtcp = this.kind === "rtcp" || (this.kind === "auto" && isRtcpPacket(packet));
      out = rtcp ? this.session.unprotectRtcp(packet) : this.session.unprotectRtp(packet);
    } catch (err) {
      this.nDropped++;
      if (!(err instanceof RtcpipeError)) this.nOtherErrors++;
      else if (err.code === "ERR_AUTH_FAILED") this.nAuthFailures++;
      else if (err.code === "ERR_REPLAYED") this.nReplayed++;
      else if (err.code === "ERR_MALFORMED_PACKET") this.nMalformed++;
      return;
    }
    this.nOut++;
    this.out.push(out, nowUs);
  }

  override stats(): StageStats {
    return {
      in: this.nIn,
      out: this.nOut,
      dropped: this.nDropped,
      authFailures: this.nAuthFailures,
      replayed: this.nReplayed,
      malformed: this.nMalformed,
      otherErrors: this.nOtherErrors,
    };
  }
}
