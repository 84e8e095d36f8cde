/**
 * rtcpipe's public API. Every export is listed by name (no `export *`); modules and
 * symbols not listed here (or marked @internal) are internal.
 */

// codec
export type { VideoCodecName, CodecName, EncodedFrame } from "./codec/encoded-frame.js";
export { OpusDecoder } from "./codec/opus-decoder.js";
export type { OpusDecoderOptions } from "./codec/opus-decoder.js";
export { OpusEncoder } from "./codec/opus-encoder.js";
export type { OpusApplication, OpusEncoderOptions } from "./codec/opus-encoder.js";
export { OpusFramePacker } from "./codec/opus-frame-packer.js";
export { OPUS_MAX_PACKET_BYTES, loadOpus } from "./codec/opus-module.js";
export type { OpusModule } from "./codec/opus-module.js";
export { VpxDecoder } from "./codec/vpx-decoder.js";
export type { VpxDecoderOptions } from "./codec/vpx-decoder.js";
export { VpxEncoder } from "./codec/vpx-encoder.js";
export type { VpxEncoderOptions } from "./codec/vpx-encoder.js";
export { loadVpx } from "./codec/vpx-module.js";
export type { VpxModule } from "./codec/vpx-module.js";

// congestion
export type { SentPacketInfo, PacketResult, TransportFeedbackUpdate, ProbeCluster, NetworkTargetUpdate } from "./congestion/congestion-types.js";
export { TransportFeedbackGenerator } from "./congestion/transport-feedback-generator.js";
export type { TransportFeedbackGeneratorOptions, TransportFeedbackGeneratorStats } from "./congestion/transport-feedback-generator.js";
export { TransportFeedbackAdapter } from "./congestion/transport-feedback-adapter.js";
export type { TransportFeedbackAdapterOptions, TransportFeedbackAdapterStats } from "./congestion/transport-feedback-adapter.js";
export { NetworkController } from "./congestion/network-controller.js";
export type { NetworkControllerOptions, NetworkControllerStats } from "./congestion/network-controller.js";
export { DelayBasedEstimator } from "./congestion/delay-based-estimator.js";
export type { DelayBasedEstimatorOptions, DelayBasedResult } from "./congestion/delay-based-estimator.js";
export { InterArrivalDelta } from "./congestion/inter-arrival-delta.js";
export type { InterArrivalDeltaOptions, InterArrivalDeltas } from "./congestion/inter-arrival-delta.js";
export { TrendlineEstimator } from "./congestion/trendline-estimator.js";
export type { TrendlineEstimatorOptions, TrendlineResult } from "./congestion/trendline-estimator.js";
export { OveruseDetector } from "./congestion/overuse-detector.js";
export type { OveruseDetectorOptions, BandwidthUsage } from "./congestion/overuse-detector.js";
export { AimdRateControl } from "./congestion/aimd-rate-control.js";
export type { AimdRateControlOptions, RateControlState } from "./congestion/aimd-rate-control.js";
export { AcknowledgedBitrateEstimator } from "./congestion/acknowledged-bitrate-estimator.js";
export type { AcknowledgedBitrateEstimatorOptions } from "./congestion/acknowledged-bitrate-estimator.js";
export { LossBasedEstimator } from "./congestion/loss-based-estimator.js";
export type { LossBasedEstimatorOptions } from "./congestion/loss-based-estimator.js";
export { ProbeController } from "./congestion/probe-controller.js";
export type { ProbeControllerOptions } from "./congestion/probe-controller.js";
export { ProbeBitrateEstimator } from "./congestion/probe-bitrate-estimator.js";
export type { ProbeClusterSpec } from "./congestion/probe-bitrate-estimator.js";
export { AlrDetector } from "./congestion/alr-detector.js";
export { CongestionWindowPushback } from "./congestion/congestion-window-pushback.js";
export type { CongestionWindowPushbackOptions } from "./congestion/congestion-window-pushback.js";
export { Pacer } from "./congestion/pacer.js";
export type { PacerOptions, PacerQueueStats, PaddingPacket } from "./congestion/pacer.js";
export { PACKET_KINDS, packetKindPriority } from "./congestion/pacer-queue.js";
export type { PacedPacket, PacketKind } from "./congestion/pacer-queue.js";
export { BitrateAllocator } from "./congestion/bitrate-allocator.js";
export type { BitrateAllocatorOptions, BitrateAllocationInput, BitrateAllocation } from "./congestion/bitrate-allocator.js";
export { VideoQualityLadder, buildLadder } from "./congestion/video-quality-ladder.js";
export type { VideoQualityLadderOptions, VideoQualityState, VideoQualityDecision } from "./congestion/video-quality-ladder.js";
export { CpuOveruseDetector } from "./congestion/cpu-overuse-detector.js";
export type { CpuOveruseDetectorOptions, CpuSignal } from "./congestion/cpu-overuse-detector.js";
export { EncoderQpMonitor } from "./congestion/encoder-qp-monitor.js";
export type { EncoderQpMonitorOptions } from "./congestion/encoder-qp-monitor.js";

// e2ee
export { CallKeyExchange, type CallKeyExchangeOptions, type CallKeyExchangeState, type CallKeyExchangeStats, type CallRole, type KeyExchangeOutput } from "./e2ee/call-key-exchange.js";
export { CallSrtpKeys } from "./e2ee/call-srtp-keys.js";
export { IdentityKeyPair, secureRandomFill, type RandomFill as E2eeRandomFill } from "./e2ee/identity-key-pair.js";
export { IdentityPublicKey } from "./e2ee/identity-public-key.js";
export { loadIdentityFile, saveIdentityFile, defaultIdentityPath, type LoadedIdentity } from "./e2ee/identity-file.js";
export { KnownPeers, loadKnownPeers, saveKnownPeers, type KnownPeer, type PinVerdict } from "./e2ee/known-peers.js";
export { OfferReplayGuard as KeyOfferReplayGuard, type OfferReplayGuardOptions as KeyOfferReplayGuardOptions, type OfferReplayGuardStats as KeyOfferReplayGuardStats } from "./e2ee/offer-replay-guard.js";
export { identityFingerprint, safetyNumber, shortFingerprint } from "./e2ee/safety-number.js";
export { KeyOffer, type KeyOfferFields } from "./e2ee/key-offer.js";
export { KeyAnswer, type KeyAnswerFields } from "./e2ee/key-answer.js";
export { KeyConfirm, type ExchangeRole } from "./e2ee/key-confirm.js";
export { parseKeyMessage, keyMessageToText, keyMessageFromText, type KeyMessage } from "./e2ee/key-message.js";
export { MAX_KEY_MESSAGE_BYTES, type SwitchIndex } from "./e2ee/key-message-codec.js";
export { RekeyingSrtpSession, type RekeyingSrtpSessionOptions, type RekeyingSrtpStats } from "./e2ee/rekeying-srtp-session.js";
export { SignatureError, KeyConfirmationError, IdentityChangedError, KeyExchangeStateError, InsecureKeyFileError } from "./e2ee/e2ee-errors.js";
export { hkdfSha256 } from "./e2ee/hkdf-sha256.js";
export { x25519, x25519PublicKey } from "./e2ee/x25519.js";
export { ed25519Sign, ed25519Verify, ed25519PublicKey } from "./e2ee/ed25519.js";

// errors
export { RtcpipeError, InvalidOptionError, MalformedPacketError, AuthenticationError, ReplayError, CodecError, BadFileError, checkRange, checkInt, checkOneOf } from "./errors.js";
export type { RtcpipeErrorCode } from "./errors.js";

// fec
export { FEC_RATIO_LADDER, residualLossWithFec, fecProtectionFor, FecController } from "./fec/fec-controller.js";
export type { FecPolicyInput, FecPolicyOptions, FecDecision, FecControllerOptions } from "./fec/fec-controller.js";
export { FecDecoder } from "./fec/fec-decoder.js";
export type { FecDecoderOptions } from "./fec/fec-decoder.js";
export { DEFAULT_RED_PAYLOAD_TYPE, DEFAULT_ULPFEC_PAYLOAD_TYPE, FecEncoder } from "./fec/fec-encoder.js";
export type { FecEncoderOptions } from "./fec/fec-encoder.js";
export { FEC_MASK_TYPES, ULPFEC_MAX_GROUP, fecMaskTable } from "./fec/fec-mask-table.js";
export type { FecMaskType } from "./fec/fec-mask-table.js";
export { NO_FEC_PROTECTION, resolveFecProtection } from "./fec/fec-protection.js";
export type { FecProtection, ResolvedFecProtection } from "./fec/fec-protection.js";
export { RedAudioDecoder } from "./fec/red-audio-decoder.js";
export type { RedAudioDecoderOptions } from "./fec/red-audio-decoder.js";
export { RedAudioEncoder } from "./fec/red-audio-encoder.js";
export type { RedAudioEncoderOptions } from "./fec/red-audio-encoder.js";
export { RED_MAX_BLOCK_BYTES, RED_MAX_TIMESTAMP_OFFSET, RedPacket } from "./fec/red-packet.js";
export type { RedBlock } from "./fec/red-packet.js";
export { ULPFEC_HEADER_BYTES, ULPFEC_SHORT_MASK_BITS, ULPFEC_LONG_MASK_BITS, UlpfecPacket } from "./fec/ulpfec-packet.js";
export type { UlpfecPacketInit } from "./fec/ulpfec-packet.js";
export { xorPacketsFor, protectPackets, recoverPacket } from "./fec/ulpfec-parity.js";
export type { XorPacketsFn, XorEngine } from "./fec/ulpfec-parity.js";

// feedback
export { KeyframeRequestLimiter } from "./feedback/keyframe-request-limiter.js";
export type { KeyframeRequestLimiterOptions } from "./feedback/keyframe-request-limiter.js";
export { KeyframeRequester } from "./feedback/keyframe-requester.js";
export type { KeyframeRequesterOptions } from "./feedback/keyframe-requester.js";
export { NackGenerator } from "./feedback/nack-generator.js";
export type { NackGeneratorOptions, NackTickResult } from "./feedback/nack-generator.js";
export { NackResponder } from "./feedback/nack-responder.js";
export type { NackResponderRtxOptions, NackResponderOptions } from "./feedback/nack-responder.js";
export { RtpSendHistory } from "./feedback/rtp-send-history.js";
export type { RtpSendHistoryOptions, RtpHistoryEntry, RtpHistoryLookup } from "./feedback/rtp-send-history.js";
export { RtxReceiver } from "./feedback/rtx-receiver.js";
export type { RtxMapping, RtxReceiverOptions } from "./feedback/rtx-receiver.js";

// ice
export { IceAgent, formatIcePair } from "./ice/ice-agent.js";
export type { IceAgentOptions, IceAgentStats, IceEvent, IceOutput, IcePairState, IcePolicy, IceRole, IceSelectedPair, IceStunServer, IceTransmit, IceTurnServer } from "./ice/ice-agent.js";
export { IceUdpTransport } from "./ice/ice-udp-transport.js";
export type { IceUdpTransportOptions, IceUdpTransportStats } from "./ice/ice-udp-transport.js";
export { ICE_TYPE_PREFERENCE, candidateFoundation, candidatePriority } from "./ice/ice-candidate.js";
export type { IceCandidate, IceCandidateType } from "./ice/ice-candidate.js";
export { candidatePairPriority } from "./ice/candidate-pair-priority.js";
export { formatCandidateSdp, parseCandidateSdp } from "./ice/candidate-sdp.js";

// jitter
export { DecisionLogic } from "./jitter/neteq/decision-logic.js";
export type { NetEqOperation, DecisionInput, Decision, DecisionLogicOptions } from "./jitter/neteq/decision-logic.js";
export { DelayManager } from "./jitter/neteq/delay-manager.js";
export type { DelayManagerOptions } from "./jitter/neteq/delay-manager.js";
export { Merge } from "./jitter/neteq/merge.js";
export type { MergeOptions, MergeResult } from "./jitter/neteq/merge.js";
export type { NetEqDecoder } from "./jitter/neteq/neteq-decoder.js";
export { NetEqPlayout } from "./jitter/neteq/neteq-playout.js";
export type { NetEqPlayoutOptions, NetEqOutput, NetEqStats } from "./jitter/neteq/neteq-playout.js";
export { opusPacketHasLbrr } from "./jitter/neteq/opus-lbrr.js";
export { PacketBuffer } from "./jitter/neteq/packet-buffer.js";
export type { NetEqPacket, BufferedPacket, PacketBufferOptions, InsertResult } from "./jitter/neteq/packet-buffer.js";
export { findPitchPeriod } from "./jitter/neteq/pitch-period.js";
export type { PitchPeriod } from "./jitter/neteq/pitch-period.js";
export { SampleOrigin, SyncBuffer } from "./jitter/neteq/sync-buffer.js";
export { TimeStretch } from "./jitter/neteq/time-stretch.js";
export type { TimeStretchOptions, StretchResult } from "./jitter/neteq/time-stretch.js";
export { RelativeDelayEstimator } from "./jitter/relative-delay-estimator.js";
export type { RelativeDelayEstimatorOptions } from "./jitter/relative-delay-estimator.js";
export { ReorderBuffer } from "./jitter/reorder-buffer.js";
export type { Sequenced, ReorderBufferOptions } from "./jitter/reorder-buffer.js";
export { VideoPlayoutBuffer } from "./jitter/video-playout-buffer.js";
export type { VideoPlayoutBufferOptions } from "./jitter/video-playout-buffer.js";

// media
export { AUDIO_SAMPLE_RATE, AUDIO_FRAME_MS, AUDIO_FRAME_SAMPLES, createAudioFrame } from "./media/audio-frame.js";
export type { AudioFrame } from "./media/audio-frame.js";
export { FfmpegCaptureSource } from "./media/ffmpeg-capture-source.js";
export { VideoFormatAdapter } from "./media/video-format-adapter.js";
export type { VideoFormat } from "./media/video-format-adapter.js";
export type { FfmpegCaptureSourceOptions } from "./media/ffmpeg-capture-source.js";
export { FrameSourceStage } from "./media/frame-source-stage.js";
export { frameBytes, NullSink } from "./media/null-sink.js";
export { PushSource } from "./media/push-source.js";
export type { PushSourceOptions } from "./media/push-source.js";
export { scaleVideoFrame } from "./media/scale-video-frame.js";
export type { ScaleVideoFrameOptions } from "./media/scale-video-frame.js";
export { SpeechLikeSource } from "./media/speech-like-source.js";
export type { SpeechLikeSourceOptions } from "./media/speech-like-source.js";
export { TestPatternSource } from "./media/test-pattern-source.js";
export type { TestPatternSourceOptions } from "./media/test-pattern-source.js";
export { createVideoFrame, i420Size } from "./media/video-frame.js";
export type { VideoFrame } from "./media/video-frame.js";
export { WavFileSink } from "./media/wav-file-sink.js";
export type { WavFileSinkOptions } from "./media/wav-file-sink.js";
export { parseWavHeader } from "./media/wav-header.js";
export type { WavHeader } from "./media/wav-header.js";
export { WavReader } from "./media/wav-reader.js";
export type { WavReaderOptions } from "./media/wav-reader.js";
export { WavWriter } from "./media/wav-writer.js";
export type { WavWriterOptions } from "./media/wav-writer.js";
export { Y4mFileSink } from "./media/y4m-file-sink.js";
export type { Y4mFileSinkOptions } from "./media/y4m-file-sink.js";
export { Y4M_MAX_HEADER_BYTES, parseY4mHeader, formatY4mHeader } from "./media/y4m-header.js";
export type { Y4mColorspace, Y4mHeader } from "./media/y4m-header.js";
export { Y4mReader } from "./media/y4m-reader.js";
export type { Y4mReaderOptions } from "./media/y4m-reader.js";
export { Y4mWriter } from "./media/y4m-writer.js";
export type { Y4mWriterOptions } from "./media/y4m-writer.js";

// metrics
export type { LatencySummary, PacketCounts, VideoReport, AudioReport, CallTimeline, CallReport } from "./metrics/call-report.js";
export { FreezeDetector } from "./metrics/freeze-detector.js";
export { Percentiles } from "./metrics/percentiles.js";
export type { PercentileSummary } from "./metrics/percentiles.js";
export { PsnrAccumulator } from "./metrics/psnr-accumulator.js";
export type { PsnrSummary } from "./metrics/psnr-accumulator.js";
export { psnrFromMse, psnr } from "./metrics/psnr.js";
export type { PsnrResult, PsnrOptions } from "./metrics/psnr.js";
export { renderReportHtml } from "./metrics/report-html.js";
export { ssimPlane, ssim, ssimDb } from "./metrics/ssim.js";
export type { SsimResult } from "./metrics/ssim.js";

// net
export { BandwidthTrace } from "./net/bandwidth-trace.js";
export type { BandwidthStep } from "./net/bandwidth-trace.js";
export { EmulatedLink } from "./net/emulated-link.js";
export type { EmulatedLinkOptions, EmulatedLinkStats } from "./net/emulated-link.js";
export { EmulatedEndpoint, EmulatedNetwork } from "./net/emulated-network.js";
export type { EmulatedNetworkOptions, EmulatedEndpointStats } from "./net/emulated-network.js";
export { GilbertElliott } from "./net/gilbert-elliott.js";
export type { GilbertElliottParams } from "./net/gilbert-elliott.js";
export { LossTrace } from "./net/loss-trace.js";
export type { LossTraceUnit, LossTraceAfter, LossTraceModel } from "./net/loss-trace.js";
export type { Transport } from "./net/transport.js";
export { UdpTransport } from "./net/udp-transport.js";
export type { UdpAddress, UdpTransportOptions, UdpTransportStats } from "./net/udp-transport.js";

// pipeline
export { BoundedQueue } from "./pipeline/bounded-queue.js";
export type { OverflowPolicy, BoundedQueueOptions } from "./pipeline/bounded-queue.js";
export { VirtualClock, RealClock } from "./pipeline/clock.js";
export type { Clock, TimerHandle } from "./pipeline/clock.js";
export { Pipeline, pipeline } from "./pipeline/pipeline.js";
export { StageCore, sinkTo, mapStage } from "./pipeline/stage.js";
export type { Sink, StageStats, Stage } from "./pipeline/stage.js";
export { toTransformStream, toReadableStream, toNodeTransform } from "./pipeline/stream-adapters.js";

// rtcp
export { TransportFeedback, TransportFeedbackStatus, TRANSPORT_FEEDBACK_FMT, TRANSPORT_FEEDBACK_DELTA_TICK_US, TRANSPORT_FEEDBACK_REFERENCE_TIME_UNIT_US } from "./rtcp/transport-feedback.js";
export type { TransportFeedbackInit, TransportFeedbackBuildOptions } from "./rtcp/transport-feedback.js";
export { ReceiverEstimatedMaxBitrate, REMB_FMT, REMB_IDENTIFIER, REMB_MAX_BITRATE_BPS, rembExponentMantissa, isRembPacket } from "./rtcp/receiver-estimated-max-bitrate.js";
export { FIR_FMT, FullIntraRequest } from "./rtcp/full-intra-request.js";
export type { FirEntry } from "./rtcp/full-intra-request.js";
export { GENERIC_NACK_FMT, nackEntriesFromSequenceNumbers, sequenceNumbersFromNackEntries, GenericNack } from "./rtcp/generic-nack.js";
export type { NackFciEntry } from "./rtcp/generic-nack.js";
export { Goodbye } from "./rtcp/goodbye.js";
export { NTP_UNIX_EPOCH_OFFSET_S, ntpFromUnixUs, ntpToUnixUs, ntpToCompact, usToCompactNtp, compactNtpToUs } from "./rtcp/ntp-time.js";
export type { NtpTimestamp } from "./rtcp/ntp-time.js";
export { PLI_FMT, PictureLossIndication } from "./rtcp/picture-loss-indication.js";
export { ReceiverReport } from "./rtcp/receiver-report.js";
export type { ReceiverReportInit } from "./rtcp/receiver-report.js";
export { ReceiverStatistics } from "./rtcp/receiver-statistics.js";
export type { ReceiverStatisticsOptions, ReceivedRtpPacket } from "./rtcp/receiver-statistics.js";
export { REPORT_BLOCK_BYTES, ReportBlock } from "./rtcp/report-block.js";
export type { ReportBlockInit } from "./rtcp/report-block.js";
export { roundTripTimeUs } from "./rtcp/round-trip-time.js";
export { RtcpCompoundPacket } from "./rtcp/rtcp-compound-packet.js";
export type { RtcpCompoundParseOptions } from "./rtcp/rtcp-compound-packet.js";
export { RtcpPacketType, RTCP_HEADER_BYTES, RtcpHeader, readU32, writeU32, checkRoom } from "./rtcp/rtcp-header.js";
export { parseRtcpPacket } from "./rtcp/rtcp-packet.js";
export type { RtcpPacket } from "./rtcp/rtcp-packet.js";
export { SenderReport } from "./rtcp/sender-report.js";
export type { SenderReportInit } from "./rtcp/sender-report.js";
export { SenderStatistics } from "./rtcp/sender-statistics.js";
export type { SenderStatisticsOptions, SentRtpPacket } from "./rtcp/sender-statistics.js";
export { SdesItemType, SourceDescription } from "./rtcp/source-description.js";
export type { SdesItem, SdesChunk } from "./rtcp/source-description.js";
export { UnknownRtcpPacket } from "./rtcp/unknown-rtcp-packet.js";

// rtp
export { TransportWideSequenceNumber, TRANSPORT_WIDE_SEQUENCE_NUMBER_URI, TRANSPORT_WIDE_SEQUENCE_NUMBER_BYTES, findRtpExtensionElement } from "./rtp/transport-wide-sequence-number.js";
export { AbsSendTime, ABS_SEND_TIME_URI, ABS_SEND_TIME_BYTES } from "./rtp/abs-send-time.js";
export { emptyDepacketizedPayload, balancedChunkSizes } from "./rtp/codec-payload-format.js";
export type { CodecPacketizer, DepacketizedPayload, CodecDepacketizer } from "./rtp/codec-payload-format.js";
export { Depacketizer } from "./rtp/depacketizer.js";
export type { DepacketizerOptions } from "./rtp/depacketizer.js";
export { OpusDepacketizer } from "./rtp/opus-depacketizer.js";
export { opusFrameDurationUs, opusFrames, packOpusFrames, splitOpusPacket } from "./rtp/opus-frame-packing.js";
export { OpusPacketizer } from "./rtp/opus-packetizer.js";
export { Packetizer } from "./rtp/packetizer.js";
export type { PacketizerOptions } from "./rtp/packetizer.js";
export { ONE_BYTE_PROFILE, TWO_BYTE_PROFILE, RtpHeaderExtensions } from "./rtp/rtp-header-extensions.js";
export type { RtpHeaderExtensionElement, RtpHeaderExtensionForm } from "./rtp/rtp-header-extensions.js";
export { RTP_FIXED_HEADER_BYTES, RtpPacket } from "./rtp/rtp-packet.js";
export type { RtpPacketInit } from "./rtp/rtp-packet.js";
export { RTX_OSN_BYTES, wrapRtx, rtxOriginalSequenceNumber, unwrapRtx } from "./rtp/rtx.js";
export type { RtxWrapParams, RtxUnwrapParams } from "./rtp/rtx.js";
export { Vp8Depacketizer } from "./rtp/vp8-depacketizer.js";
export { Vp8Packetizer } from "./rtp/vp8-packetizer.js";
export type { Vp8PacketizerOptions } from "./rtp/vp8-packetizer.js";
export { Vp8PayloadDescriptor } from "./rtp/vp8-payload-descriptor.js";
export type { Vp8PayloadDescriptorInit } from "./rtp/vp8-payload-descriptor.js";
export { Vp9Depacketizer } from "./rtp/vp9-depacketizer.js";
export { Vp9Packetizer } from "./rtp/vp9-packetizer.js";
export type { Vp9Mode, Vp9PacketizerOptions } from "./rtp/vp9-packetizer.js";
export { Vp9PayloadDescriptor, vp9KeyframeSize } from "./rtp/vp9-payload-descriptor.js";
export type { Vp9ScalabilityStructure, Vp9PayloadDescriptorInit } from "./rtp/vp9-payload-descriptor.js";
export { WrapAroundUnwrapper, SequenceUnwrapper, TimestampUnwrapper, seqDiff, seqNewer, timestampDiff, timestampNewer } from "./rtp/wrap-around-unwrapper.js";

// sdp
export { formatSdp } from "./sdp/format-sdp.js";
export { SDP_MAX_CHARS, parseSdp } from "./sdp/parse-sdp.js";
export type { ParseSdpOptions } from "./sdp/parse-sdp.js";
export { rtpClockRate, sessionDescriptionFromStreams, rtpStreamsFromSessionDescription } from "./sdp/rtp-stream-description.js";
export type { RtpStreamSrtp, RtpStreamDescription, SessionDescriptionFromStreamsOptions } from "./sdp/rtp-stream-description.js";
export type { SdpOrigin, SdpConnection, SdpRtpMap, SdpSsrcAttribute, SdpCrypto, SdpAttribute, SdpDirection, SdpMediaDescription, SessionDescription } from "./sdp/session-description.js";

// session
export { runRemoteCall } from "./session/remote-call.js";
export type { RemoteCallOptions, RemoteCallReport, RemoteCallEvent } from "./session/remote-call.js";
export { BandwidthAdaptation } from "./session/bandwidth-adaptation.js";
export type { BandwidthAdaptationOptions, AdaptationDecision } from "./session/bandwidth-adaptation.js";
export { AudioReceiveStream } from "./session/audio-receive-stream.js";
export type { AudioReceiveStreamOptions } from "./session/audio-receive-stream.js";
export { resolveCallOptions } from "./session/call-options.js";
export type { CallOptions, CallProgress, ResolvedCallOptions } from "./session/call-options.js";
export { TemporalLayerPolicy } from "./session/temporal-layer-policy.js";
export type { TemporalLayerPolicyOptions } from "./session/temporal-layer-policy.js";
export { CaptureRegistry } from "./session/capture-registry.js";
export type { CaptureRecord } from "./session/capture-registry.js";
export { DirectionMetrics } from "./session/direction-metrics.js";
export type { SecondBucket, SeriesPoint } from "./session/direction-metrics.js";
export { Peer } from "./session/peer.js";
export type { SrtpKeys, SendResult, PeerOptions } from "./session/peer.js";
export { RtcpReporter } from "./session/rtcp-reporter.js";
export type { RemoteReception } from "./session/rtcp-reporter.js";
export { RtpReceiver } from "./session/rtp-receiver.js";
export type { RtpReceiverOptions, RtpReceiverStats } from "./session/rtp-receiver.js";
export { RtpSender, flexibleToSimpleVp9 } from "./session/rtp-sender.js";
export type { DatagramSink, RtpSenderOptions, RtpSenderStats } from "./session/rtp-sender.js";
export { SendStream } from "./session/send-stream.js";
export { PAYLOAD_TYPES, AUDIO_RED_PAYLOAD_TYPE, VIDEO_RED_PAYLOAD_TYPE, ULPFEC_PAYLOAD_TYPE, RED_RTX_PAYLOAD_TYPE, RTX_PAYLOAD_TYPES } from "./session/stream-config.js";
export type { SendConfig } from "./session/stream-config.js";
export { UdpLoopbackPair } from "./session/udp-loopback-pair.js";
export { VideoReceiveStream } from "./session/video-receive-stream.js";
export type { VideoReceiveStreamOptions } from "./session/video-receive-stream.js";

// signaling
export { SignalingServer, SIGNALING_CLOSE_CODES, type SignalingServerOptions, type SignalingServerStats } from "./signaling/signaling-server.js";
export { SignalingClient, type SignalingClientOptions, type SignalingClientEvents, type SignalingClientStats, type IncomingCall, type ReconnectPolicy } from "./signaling/signaling-client.js";
export { SignalingError, SIGNALING_ERROR_CODES, type SignalingErrorCode } from "./signaling/signaling-error.js";
export { parseClientMessage, parseServerMessage, SignalingMessageError, type SignalingMessageProblem } from "./signaling/parse-signaling-message.js";
export { SIGNALING_PROTOCOL_VERSION, DEFAULT_MAX_MESSAGE_BYTES, MAX_WATCH_IDENTITIES, CALL_MESSAGE_TYPES, IDENTITY_PATTERN, CALL_ID_PATTERN, type CallMessageType, type ClientMessage, type ServerMessage, type RegisterMessage, type WatchMessage, type OutgoingCallMessage, type AckMessage, type PresenceStateMessage, type PresenceMessage, type IncomingCallMessage, type ErrorMessage } from "./signaling/signaling-message.js";
export { TokenBucket, type TokenBucketOptions } from "./signaling/token-bucket.js";
export { OfferReplayGuard, type OfferReplayGuardOptions } from "./signaling/offer-replay-guard.js";

// srtp
export { isRtcpPacket } from "./srtp/is-rtcp-packet.js";
export { SrtpKdfLabel, srtpKdf, deriveSrtpSessionKeys } from "./srtp/key-derivation.js";
export type { SrtpSessionKeySet, SrtpSessionKeys } from "./srtp/key-derivation.js";
export { parseSdesInlineKey, formatSdesInlineKey } from "./srtp/sdes-inline-key.js";
export type { SdesInlineKey } from "./srtp/sdes-inline-key.js";
export { SrtpProtectStage } from "./srtp/srtp-protect-stage.js";
export type { SrtpPacketKind, SrtpStageOptions } from "./srtp/srtp-protect-stage.js";
export { SrtpSession } from "./srtp/srtp-session.js";
export type { SrtpSessionOptions, SrtpStats } from "./srtp/srtp-session.js";
export { SRTP_SUITES, SRTP_SUITE_NAMES } from "./srtp/srtp-suite.js";
export type { SrtpSuiteName, SrtpSuiteParams } from "./srtp/srtp-suite.js";
export { SrtpUnprotectStage } from "./srtp/srtp-unprotect-stage.js";

// srtp context (SrtpSession and RekeyingSrtpSession)
export type { SrtpContext } from "./srtp/srtp-context.js";

// stun
export { StunMessage, STUN_HEADER_BYTES, transactionKey } from "./stun/stun-message.js";
export type { StunAttribute, StunMessageInit, StunSerializeOptions } from "./stun/stun-message.js";
export { StunClass, StunMethod, encodeMessageType, decodeMessageType } from "./stun/stun-message-type.js";
export { StunAttributeType, isComprehensionRequired, isKnownAttributeType } from "./stun/stun-attribute-type.js";
export { StunErrorCodes } from "./stun/error-code.js";
export type { StunErrorCode } from "./stun/error-code.js";
export { PasswordAlgorithm } from "./stun/password-algorithms.js";
export type { PasswordAlgorithmEntry } from "./stun/password-algorithms.js";
export { MAGIC_COOKIE, encodeXorAddress, decodeXorAddress } from "./stun/xor-mapped-address.js";
export { encodeMappedAddress, decodeMappedAddress } from "./stun/mapped-address.js";
export { transportAddress, formatTransportAddress, sameTransportAddress, ipToBytes, ipToText } from "./stun/transport-address.js";
export type { TransportAddress } from "./stun/transport-address.js";
export { shortTermKey, longTermKey } from "./stun/stun-credentials.js";
export { saslprep } from "./stun/saslprep.js";
export { userhash } from "./stun/userhash.js";
export { crc32, stunFingerprint, FINGERPRINT_XOR } from "./stun/fingerprint.js";
export { isStunPacket } from "./stun/is-stun-packet.js";
export { StunClientTransaction } from "./stun/stun-transaction.js";
export type { StunTransactionOptions, StunTransactionAction, StunTransactionState } from "./stun/stun-transaction.js";
export { newTransactionId, seededRandomFill } from "./stun/transaction-id.js";
export type { RandomFill } from "./stun/transaction-id.js";
export { createBindingRequest, createBindingSuccess, createBindingError, bindingResponseAddress, StunErrorResponseError } from "./stun/stun-binding.js";
export type { BindingRequestOptions, BindingResponseOptions } from "./stun/stun-binding.js";
export { stunBindingRequest, StunTimeoutError } from "./stun/stun-binding-udp.js";
export type { StunBindingRequestOptions, StunBindingResult } from "./stun/stun-binding-udp.js";

// turn
export { TurnClient } from "./turn/turn-client.js";
export type { TurnClientOptions, TurnClientState, TurnClientStats, TurnEvent } from "./turn/turn-client.js";
export { TurnUdpSocket } from "./turn/turn-udp-socket.js";
export type { TurnUdpSocketOptions, TurnUdpSocketStats } from "./turn/turn-udp-socket.js";
export { TurnError, turnErrorKind } from "./turn/turn-error.js";
export type { TurnErrorKind } from "./turn/turn-error.js";
export { ChannelData, MIN_CHANNEL_NUMBER, MAX_CHANNEL_NUMBER, CHANNEL_DATA_HEADER_BYTES } from "./turn/channel-data.js";
export { classifyDatagram } from "./turn/classify-datagram.js";
export type { DatagramKind } from "./turn/classify-datagram.js";
export { PROTOCOL_UDP } from "./turn/turn-attributes.js";

// util
export { MinHeap } from "./util/min-heap.js";
export { SeededRandom } from "./util/seeded-random.js";

// wasm
export { WasmKernels } from "./wasm/kernels.js";
export type { KernelsBuild } from "./wasm/kernels.js";
