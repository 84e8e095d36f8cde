import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format, inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { BadFileError } from "../../src/errors.js";
import { InsecureKeyFileError } from "../../src/e2ee/e2ee-errors.js";
import { IdentityKeyPair } from "../../src/e2ee/identity-key-pair.js";
import { loadIdentityFile, saveIdentityFile } from "../../src/e2ee/identity-file.js";
import { IdentityPublicKey } from "../../src/e2ee/identity-public-key.js";
import { identityFingerprint, identityFingerprintDigits, safetyNumber, shortFingerprint } from "../../src/e2ee/safety-number.js";
import { ed25519Verify } from "../../src/e2ee/ed25519.js";
import { isAllZero } from "../../src/e2ee/secret-bytes.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "rtcpipe-e2ee-"));

describe("IdentityKeyPair and the identity file", () => {
  it("round-trips through a 0600 file, and the loaded pair signs like the original", () => {
    const id = IdentityKeyPair.generate();
    const path = join(tmp(), "identity.json");
    saveIdentityFile(path, id, 1764815000000);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(path, "utf8"));
    expect(doc.format).toBe("rtcpipe-identity");
    expect(doc.version).toBe(1);
    const loaded = loadIdentityFile(path);
    expect(loaded.createdMs).toBe(1764815000000);
    expect(loaded.identity.publicKey.equals(id.publicKey)).toBe(true);
    const msg = Uint8Array.of(1, 2, 3);
    expect(ed25519Verify(id.publicKey.signingKey, msg, loaded.identity.sign(msg))).toBe(true);
    const peer = IdentityKeyPair.generate();
    expect(loaded.identity.agree(peer.publicKey.agreementKey)).toEqual(id.agree(peer.publicKey.agreementKey));
  });

  it("refuses to overwrite an existing file unless asked", () => {
    const path = join(tmp(), "identity.json");
    saveIdentityFile(path, IdentityKeyPair.generate(), 1);
    expect(() => saveIdentityFile(path, IdentityKeyPair.generate(), 2)).toThrow(/the file exists/);
    const second = IdentityKeyPair.generate();
    saveIdentityFile(path, second, 2, true);
    expect(loadIdentityFile(path).identity.publicKey.equals(second.publicKey)).toBe(true);
  });

  it("refuses a file the group or others can read, naming the mode and the fix", () => {
    const path = join(tmp(), "identity.json");
    saveIdentityFile(path, IdentityKeyPair.generate(), 1);
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      chmodSync(path, mode);
      let err: unknown;
      try {
        loadIdentityFile(path);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InsecureKeyFileError);
      expect((err as Error).message).toMatch(new RegExp(`mode is 0${mode.toString(8)}.*allowed is 0600.*chmod 600`));
    }
    chmodSync(path, 0o400);
    expect(loadIdentityFile(path).identity).toBeInstanceOf(IdentityKeyPair);
  });

  it("refuses missing, non-JSON, wrong-version and damaged files with BadFileError", () => {
    const dir = tmp();
    expect(() => loadIdentityFile(join(dir, "nope.json"))).toThrow(/no such file/);
    const path = join(dir, "identity.json");
    const write = (text: string): void => {
      writeFileSync(path, text, { mode: 0o600 });
      chmodSync(path, 0o600);
    };
    write("not json");
    expect(() => loadIdentityFile(path)).toThrow(BadFileError);
    saveIdentityFile(join(dir, "good.json"), IdentityKeyPair.generate(), 1);
    const good = JSON.parse(readFileSync(join(dir, "good.json"), "utf8"));
    write(JSON.stringify({ ...good, version: 2 }));
    expect(() => loadIdentityFile(path)).toThrow(/version is 2, allowed is 1/);
    write(JSON.stringify({ ...good, signing: { ...good.signing, publicKey: good.agreement.publicKey } }));
    expect(() => loadIdentityFile(path)).toThrow(/do not match its private keys/);
    write(JSON.stringify({ ...good, agreement: { ...good.agreement, privateKey: "short" } }));
    expect(() => loadIdentityFile(path)).toThrow(/agreement.privateKey is not 32 bytes/);
  });

  it("never shows private keys in JSON, inspect, format or String, and destroy() zeroes them", () => {
    const id = IdentityKeyPair.generate();
    const { signingPrivate, agreementPrivate } = id.exportPrivateKeys();
    const secrets = [signingPrivate, agreementPrivate].flatMap((k) => [Buffer.from(k).toString("hex"), Buffer.from(k).toString("base64url"), Buffer.from(k).toString("base64")]);
    const texts = [JSON.stringify(id), JSON.stringify({ id }), inspect(id, { showHidden: true, depth: 10 }), format("%o %O %s %j", id, id, id, id), String(id)];
    for (const t of texts) for (const s of secrets) expect(t).not.toContain(s.slice(0, 16));
    expect(texts[0]).toContain(shortFingerprint(id.publicKey));
    id.destroy();
    expect(() => id.sign(new Uint8Array(1))).toThrow(/destroyed/);
    // exportPrivateKeys returned copies: the pair's own arrays are what destroy zeroed.
    expect(isAllZero(signingPrivate)).toBe(false);
  });
});

describe("fingerprints and safety numbers (Signal-style, see safety-number.ts)", () => {
  const a = IdentityKeyPair.generate().publicKey;
  const b = IdentityKeyPair.generate().publicKey;

  it("a fingerprint is 30 digits in six groups, deterministic, and differs between identities", () => {
    expect(identityFingerprint(a)).toMatch(/^\d{5}( \d{5}){5}$/);
    expect(identityFingerprint(a)).toBe(identityFingerprint(new IdentityPublicKey(a.signingKey, a.agreementKey)));
    expect(identityFingerprintDigits(a)).not.toBe(identityFingerprintDigits(b));
  });

  it("covers both keys: changing only the agreement key changes the fingerprint", () => {
    const other = new IdentityPublicKey(a.signingKey, b.agreementKey);
    expect(identityFingerprintDigits(other)).not.toBe(identityFingerprintDigits(a));
    expect(shortFingerprint(other)).not.toBe(shortFingerprint(a));
  });

  it("the safety number is 60 digits, the same whichever side computes it, and is the two fingerprints sorted", () => {
    const ab = safetyNumber(a, b);
    expect(ab).toMatch(/^\d{5}( \d{5}){11}$/);
    expect(safetyNumber(b, a)).toBe(ab);
    const [x, y] = [identityFingerprintDigits(a), identityFingerprintDigits(b)].sort();
    expect(ab.replace(/ /g, "")).toBe(`${x}${y}`);
    const c = IdentityKeyPair.generate().publicKey;
    expect(safetyNumber(a, c)).not.toBe(ab);
  });

  it("short fingerprints are ik: and 16 hex digits", () => {
    expect(shortFingerprint(a)).toMatch(/^ik:[0-9a-f]{16}$/);
  });
});
