/**
 * The identity file: a versioned JSON document with the raw private and public keys in base64url,
 * written with mode 0600 and refused on load when others can read it (InsecureKeyFileError).
 *
 *   { "format": "rtcpipe-identity", "version": 1, "createdMs": 1764815000000,
 *     "signing":   { "algorithm": "Ed25519", "privateKey": "...", "publicKey": "..." },
 *     "agreement": { "algorithm": "X25519",  "privateKey": "...", "publicKey": "..." } }
 *
 * On load the public keys must match those the private keys give, so a damaged or edited file is
 * caught. (The JSON text passes through JavaScript strings, which cannot be zeroed; the key
 * arrays decoded from it are.)
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { BadFileError } from "../errors.js";
import { IdentityKeyPair } from "./identity-key-pair.js";
import { readOwnerOnlyFile, writeOwnerOnlyFile } from "./owner-only-file.js";
import { bytesEqual, zeroBytes } from "./secret-bytes.js";

/** The format tag of the identity file. */
export const IDENTITY_FILE_FORMAT = "rtcpipe-identity";
/** The version this code writes (and the only one it reads). */
export const IDENTITY_FILE_VERSION = 1;

/** The default identity file: $RTCPIPE_IDENTITY, else ~/.config/rtcpipe/identity.json. */
export function defaultIdentityPath(): string {
  return process.env.RTCPIPE_IDENTITY ?? join(homedir(), ".config", "rtcpipe", "identity.json");
}

/** Writes `identity` to `path` (mode 0600); refuses an existing file unless `overwrite`. */
export function saveIdentityFile(path: string, identity: IdentityKeyPair, createdMs: number, overwrite = false): void {
  const { signingPrivate, agreementPrivate } = identity.exportPrivateKeys();
  const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("base64url");
  const doc = {
    format: IDENTITY_FILE_FORMAT,
    version: IDENTITY_FILE_VERSION,
    createdMs,
    signing: { algorithm: "Ed25519", privateKey: b64(signingPrivate), publicKey: b64(identity.publicKey.signingKey) },
    agreement: { algorithm: "X25519", privateKey: b64(agreementPrivate), publicKey: b64(identity.publicKey.agreementKey) },
  };
  zeroBytes(signingPrivate, agreementPrivate);
  writeOwnerOnlyFile(path, `${JSON.stringify(doc, null, 2)}\n`, "identity file", overwrite);
}

/** What loadIdentityFile returns. */
export interface LoadedIdentity {
  readonly identity: IdentityKeyPair;
  readonly createdMs: number;
}

/** Reads and checks an identity file (BadFileError, InsecureKeyFileError). */
export function loadIdentityFile(path: string): LoadedIdentity {
  const text = readOwnerOnlyFile(path, "identity file");
  const bad = (reason: string): never => {
    throw new BadFileError(`Cannot load identity file ${path}: ${reason}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return bad("it is not JSON");
  }
  if (doc === null || typeof doc !== "object") return bad("it is not a JSON object");
  const d = doc as Record<string, unknown>;
  if (d.format !== IDENTITY_FILE_FORMAT) return bad(`format is ${JSON.stringify(d.format)}, allowed is "${IDENTITY_FILE_FORMAT}"`);
  if (d.version !== IDENTITY_FILE_VERSION) return bad(`version is ${JSON.stringify(d.version)}, allowed is ${IDENTITY_FILE_VERSION}`);
  const createdMs = typeof d.createdMs === "number" && Number.isFinite(d.createdMs) ? d.createdMs : bad("createdMs is not a number");
  const key = (section: string, algorithm: string): { priv: Uint8Array; pub: Uint8Array } => {
    const s = d[section] as Record<string, unknown> | undefined;
    if (s === null || typeof s !== "object") return bad(`"${section}" is missing`);
    if (s.algorithm !== algorithm) return bad(`${section}.algorithm is ${JSON.stringify(s.algorithm)}, allowed is "${algorithm}"`);
    const decode = (field: string): Uint8Array => {
      const v = s[field];
      if (typeof v !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(v)) return bad(`${section}.${field} is not 32 bytes of base64url`);
      return new Uint8Array(Buffer.from(v, "base64url"));
    };
    return { priv: decode("privateKey"), pub: decode("publicKey") };
  };
  const signing = key("signing", "Ed25519");
  const agreement = key("agreement", "X25519");
  const identity = IdentityKeyPair.fromPrivateKeys(signing.priv, agreement.priv);
  zeroBytes(signing.priv, agreement.priv);
  if (!bytesEqual(identity.publicKey.signingKey, signing.pub) || !bytesEqual(identity.publicKey.agreementKey, agreement.pub)) {
    identity.destroy();
    return bad("its public keys do not match its private keys (the file is damaged)");
  }
  return { identity, createdMs };
}
