/**
 * What a {@link SignalingServer} node shares with the other nodes of its cluster: which
 * identities are online where, whether a call id was already offered, and a way to hand a
 * frame to the node an identity is registered on. The server itself keeps its own
 * connections; the backend only knows about the others.
 */
export interface SignalingBackend {
  /** This node's id (unique in the cluster). */
  readonly nodeId: string;
  /** Starts the backend; `handlers` get what other nodes send to this one. */
  start(handlers: SignalingBackendHandlers): Promise<void>;
  /** Claims `identity` for this node; false when a live node (this or another) holds it. */
  claim(identity: string): Promise<boolean>;
  /** Gives `identity` up (its client left); other nodes see it go offline. */
  release(identity: string): Promise<void>;
  /** The node each identity is registered on, or undefined when it is offline everywhere. */
  locate(identities: readonly string[]): Promise<(string | undefined)[]>;
  /** Hands `frame` (a serialized server message) to `identity` on node `nodeId`; false when that node is gone. */
  forward(nodeId: string, identity: string, frame: string): Promise<boolean>;
  /** Records an offer's call id cluster-wide; false when it was already offered (a replay). */
  acceptOffer(callId: string, nowMs: number): Promise<boolean>;
  /** Counters (names ending in the thing counted). */
  stats(): Record<string, number>;
  /** Leaves the cluster: this node's identities go offline everywhere. */
  close(): Promise<void>;
}

/** Callbacks from a {@link SignalingBackend} into its server. */
export interface SignalingBackendHandlers {
  /** A frame another node forwarded to `identity` here; false when no such client is connected (counted). */
  deliver(identity: string, frame: string): boolean;
  /** An identity registered on another node came online or went offline. */
  presence(identity: string, online: boolean): void;
  /** This node lost `identity` to another node (after this node was presumed dead); its client must go. */
  evicted(identity: string): void;
}
