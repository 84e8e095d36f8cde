/**
 * Known-peer pinning (trust on first use): peer name -> identity public key and when it was first
 * seen. The first call with a peer pins its identity; a later call that presents another identity
 * under the same name fails with IdentityChangedError, naming both fingerprints, unless the user
 * explicitly accepts the new identity. A signaling server that swaps keys is caught the same way.
 *
 * The store is in memory; loadKnownPeers/saveKnownPeers read and write it as a versioned JSON file
 * with mode 0600 (the file says whom the user talks to):
 *
 *   { "format": "rtcpipe-known-peers", "version": 1,
 *     "peers": { "alice": { "signingKey": "...", "agreementKey": "...", "firstSeenMs": 1764815000000 } } }
 */
import { BadFileError, InvalidOptionError } from "../errors.js";
import { IdentityChangedError } from "./e2ee-errors.js";
import { IdentityPublicKey } from "./identity-public-key.js";
import { readOwnerOnlyFile, writeOwnerOnlyFile } from "./owner-only-file.js";
import { identityFingerprint } from "./safety-number.js";

/** One pinned peer. */
export interface KnownPeer {
  readonly name: string;
  readonly identity: IdentityPublicKey;
  /** Unix time in ms of the first call that pinned this identity (or of its acceptance). */
  readonly firstSeenMs: number;
}

/** What KnownPeers.verify found. */
export type PinVerdict = "pinned-now" | "matches-pin" | "accepted-new";

/** The format tag of the known-peers file. */
export const KNOWN_PEERS_FILE_FORMAT = "rtcpipe-known-peers";
/** The version this code writes and reads. */
export const KNOWN_PEERS_FILE_VERSION = 1;

/** The in-memory pin store (see the file comment). */
export class KnownPeers {
  private readonly peers = new Map<string, KnownPeer>();
  private dirty = false;

  constructor(peers: Iterable<KnownPeer> = []) {
    for (const p of peers) this.peers.set(p.name, p);
  }

  /** The pinned entry of `name`, if any. */
  get(name: string): KnownPeer | undefined {
    return this.peers.get(name);
  }

  /** Every pinned peer. */
  list(): KnownPeer[] {
    return [...this.peers.values()];
  }

  /** True when verify() pinned or replaced an entry since the last markSaved(). */
  get changed(): boolean {
    return this.dirty;
  }

  /** Clears `changed` (after saving). */
  markSaved(): void {
    this.dirty = false;
  }

  /**
   * Checks the identity `name` presents: pins it if the name is new; passes if it equals the pin;
   * else throws IdentityChangedError, unless `acceptNewIdentity`, which replaces the pin.
   */
  verify(name: string, identity: IdentityPublicKey, nowMs: number, acceptNewIdentity = false): PinVerdict {
    if (typeof name !== "string" || name.length === 0 || name.length > 256) {
      throw new InvalidOptionError(`Cannot verify peer name ${JSON.stringify(name)}: allowed is a string of 1 to 256 characters`);
    }
    const pinned = this.peers.get(name);
    if (pinned === undefined) {
      this.peers.set(name, { name, identity, firstSeenMs: nowMs });
      this.dirty = true;
      return "pinned-now";
    }
    if (pinned.identity.equals(identity)) return "matches-pin";
    if (!acceptNewIdentity) throw new IdentityChangedError(name, identityFingerprint(pinned.identity), identityFingerprint(identity));
    this.peers.set(name, { name, identity, firstSeenMs: nowMs });
    this.dirty = true;
    return "accepted-new";
  }

  /** Removes the pin of `name` (true when there was one). */
  forget(name: string): boolean {
    const had = this.peers.delete(name);
    if (had) this.dirty = true;
    return had;
  }
}

/** Reads a known-peers file; a file that does not exist is an empty store. */
export function loadKnownPeers(path: string): KnownPeers {
  let text: string;
  try {
    text = readOwnerOnlyFile(path, "known-peers file");
  } catch (err) {
    if (err instanceof BadFileError && /no such file/.test(err.message)) return new KnownPeers();
    throw err;
  }
  const bad = (reason: string): never => {
    throw new BadFileError(`Cannot load known-peers file ${path}: ${reason}`);
  };
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return bad("it is not JSON");
  }
  if (doc === null || typeof doc !== "object") return bad("it is not a JSON object");
  if (doc.format !== KNOWN_PEERS_FILE_FORMAT) return bad(`format is ${JSON.stringify(doc.format)}, allowed is "${KNOWN_PEERS_FILE_FORMAT}"`);
  if (doc.version !== KNOWN_PEERS_FILE_VERSION) return bad(`version is ${JSON.stringify(doc.version)}, allowed is ${KNOWN_PEERS_FILE_VERSION}`);
  const peers = doc.peers as Record<string, Record<string, unknown>> | undefined;
  if (peers === null || typeof peers !== "object") return bad(`"peers" is missing`);
  const out: KnownPeer[] = [];
  for (const [name, e] of Object.entries(peers)) {
    const key = (field: string): Uint8Array => {
      const v = e?.[field];
      if (typeof v !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(v)) return bad(`peers.${name}.${field} is not 32 bytes of base64url`);
      return new Uint8Array(Buffer.from(v, "base64url"));
    };
    const firstSeenMs = e?.firstSeenMs;
    if (typeof firstSeenMs !== "number" || !Number.isFinite(firstSeenMs)) bad(`peers.${name}.firstSeenMs is not a number`);
    out.push({ name, identity: new IdentityPublicKey(key("signingKey"), key("agreementKey")), firstSeenMs: firstSeenMs as number });
  }
  return new KnownPeers(out);
}

/** Writes the store to `path` (mode 0600, replacing the file) and clears `changed`. */
export function saveKnownPeers(path: string, store: KnownPeers): void {
  const peers: Record<string, unknown> = {};
  for (const p of store.list()) peers[p.name] = { ...p.identity.toJSON(), firstSeenMs: p.firstSeenMs };
  const doc = { format: KNOWN_PEERS_FILE_FORMAT, version: KNOWN_PEERS_FILE_VERSION, peers };
  writeOwnerOnlyFile(path, `${JSON.stringify(doc, null, 2)}\n`, "known-peers file", true);
  store.markSaved();
}
