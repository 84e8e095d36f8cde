import { OfferReplayGuard, type OfferReplayGuardOptions } from "./offer-replay-guard.js";
import type { SignalingBackend, SignalingBackendHandlers } from "./signaling-backend.js";

/**
 * The embedded default backend: a single node, so every identity is on this node (the server
 * knows those) and there is no one to forward to. Only the replay guard lives here.
 */
export class LocalSignalingBackend implements SignalingBackend {
  readonly nodeId = "local";
  private readonly guard: OfferReplayGuard;

  constructor(options: OfferReplayGuardOptions = {}) {
    this.guard = new OfferReplayGuard(options);
  }

  async start(_handlers: SignalingBackendHandlers): Promise<void> {}

  async claim(_identity: string): Promise<boolean> {
    return true;
  }

  async release(_identity: string): Promise<void> {}

  async locate(identities: readonly string[]): Promise<(string | undefined)[]> {
    return identities.map(() => undefined);
  }

  async forward(_nodeId: string, _identity: string, _frame: string): Promise<boolean> {
    return false;
  }

  async acceptOffer(callId: string, nowMs: number): Promise<boolean> {
    return this.guard.accept(callId, nowMs);
  }

  stats(): Record<string, number> {
    return { rememberedCallIds: this.guard.size };
  }

  async close(): Promise<void> {}
}
