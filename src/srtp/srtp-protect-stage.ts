/**
 * A pipeline stage that protects outgoing RTP and RTCP packets (RFC 3711) with an SrtpSession.
 * Packets that cannot be protected (malformed) are counted and dropped; `push` never throws for
 * a bad packet.
 */
import { RtcpipeError } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import { isRtcpPacket } from "./is-rtcp-packet.js";
import { SrtpSession, type SrtpSessionOptions } from "./srtp-session.js";

/** Which packets a stage handles: RTP only, RTCP only, or both demultiplexed per RFC 5761. */
export type SrtpPacketKind = "rtp" | "rtcp" | "auto";

export interface SrtpStageOptions {
  /** The session to use, or the options to create one. */
  session: SrtpSession | SrtpSessionOptions;
  /** Default "auto" (RFC 5761 demultiplexing by the second byte). */
  kind?: SrtpPacketKind;
  /** Stage name in pipeline stats. */
  name?: string;
}

export class SrtpProtectStage extends StageCore<Uint8Array, Uint8Array> {
  readonly name: string;
  readonly session: SrtpSession;
  private readonly kind: SrtpPacketKind;
  private nIn = 0;
  private nOut = 0;
  private nDropped = 0;
  private nMalformed = 0;
  /** Drops for any other reason (e.g. input that is not a Uint8Array); never thrown out of push. */
  private nOtherErrors = 0;

  constructor(options: SrtpStageOptions) {
    super();
    this.session = options.session instanceof SrtpSession ? options.session : new SrtpSession(options.session);
    this.kind = options.kind ?? "auto";
    this.name = options.name ?? "srtpProtect";
  }

  push(packet: Uint8Array, nowUs: number): void {
    this.nIn++;
    let out: Uint8Array;
    try {
      const rtcp = this.kind === "rtcp" || (this.kind === "auto" && isRtcpPacket(packet));
      out = rtcp ? this.session.protectRtcp(packet) : this.session.protectRtp(packet);
    } catch (err) {
      this.nDropped++;
      if (err instanceof RtcpipeError && err.code === "ERR_MALFORMED_PACKET") this.nMalformed++;
      else this.nOtherErrors++;
      return;
    }
    this.nOut++;
    this.out.push(out, nowUs);
  }

  override stats(): StageStats {
    return { in: this.nIn, out: this.nOut, dropped: this.nDropped, malformed: this.nMalformed, otherErrors: this.nOtherErrors };
  }
}
