import { chmodSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { loadIdentityFile } from "../../src/e2ee/identity-file.js";
import { IdentityKeyPair } from "../../src/e2ee/identity-key-pair.js";
import { KnownPeers, saveKnownPeers } from "../../src/e2ee/known-peers.js";
import { identityFingerprint, safetyNumber } from "../../src/e2ee/safety-number.js";
import { runCli } from "./run-cli.js";

const run = runCli;

const tmp = (): string => mkdtempSync(join(tmpdir(), "rtcpipe-id-cli-"));

describe("rtcpipe identity", () => {
  afterEach(() => {
    delete process.env.RTCPIPE_IDENTITY;
  });

  it("create writes a 0600 identity file and prints its fingerprint; show prints the same one", async () => {
    const path = join(tmp(), "sub", "identity.json");
    const c = await run(["identity", "create", "--file", path]);
    expect(c.code).toBe(ExitCode.OK);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const fingerprint = identityFingerprint(loadIdentityFile(path).identity.publicKey);
    expect(fingerprint).toMatch(/^\d{5}( \d{5}){5}$/);
    expect(c.out).toContain(`fingerprint:   ${fingerprint}`);
    const s = await run(["identity", "show", "--file", path]);
    expect(s.code).toBe(ExitCode.OK);
    expect(s.out).toContain(`fingerprint:   ${fingerprint}`);
    expect(s.out).not.toMatch(/privateKey/);
    const j = await run(["identity", "show", "--file", path, "--json"]);
    const info = JSON.parse(j.out);
    expect(info.fingerprint).toBe(fingerprint);
    expect(Object.keys(info)).not.toContain("privateKey");
  });

  it("uses $RTCPIPE_IDENTITY when --file is not given", async () => {
    const path = join(tmp(), "env-identity.json");
    process.env.RTCPIPE_IDENTITY = path;
    expect((await run(["identity", "create"])).code).toBe(ExitCode.OK);
    expect(statSync(path).isFile()).toBe(true);
    expect((await run(["identity", "show"])).out).toContain(path);
  });

  it("refuses to replace an identity without --force, and replaces it with --force", async () => {
    const path = join(tmp(), "identity.json");
    await run(["identity", "create", "--file", path]);
    const before = identityFingerprint(loadIdentityFile(path).identity.publicKey);
    const again = await run(["identity", "create", "--file", path]);
    expect(again.code).toBe(ExitCode.MISSING);
    expect(again.err).toMatch(/the file exists/);
    expect(identityFingerprint(loadIdentityFile(path).identity.publicKey)).toBe(before);
    expect((await run(["identity", "create", "--file", path, "--force"])).code).toBe(ExitCode.OK);
    expect(identityFingerprint(loadIdentityFile(path).identity.publicKey)).not.toBe(before);
  });

  it("show refuses a file others can read, and a missing file, with exit 3 and the fix", async () => {
    const path = join(tmp(), "identity.json");
    await run(["identity", "create", "--file", path]);
    chmodSync(path, 0o644);
    const r = await run(["identity", "show", "--file", path]);
    expect(r.code).toBe(ExitCode.MISSING);
    expect(r.err).toMatch(/mode is 0644.*chmod 600/);
    const m = await run(["identity", "show", "--file", join(tmp(), "none.json")]);
    expect(m.code).toBe(ExitCode.MISSING);
    expect(m.err).toMatch(/no such file/);
  });

  it("show --peer prints the safety number with a pinned peer, the same the peer computes", async () => {
    const dir = tmp();
    const path = join(dir, "identity.json");
    await run(["identity", "create", "--file", path]);
    const bob = IdentityKeyPair.generate();
    const peers = new KnownPeers();
    peers.verify("bob", bob.publicKey, 1);
    saveKnownPeers(join(dir, "peers.json"), peers);
    const r = await run(["identity", "show", "--file", path, "--peer", "bob", "--known-peers", join(dir, "peers.json"), "--json"]);
    expect(r.code).toBe(ExitCode.OK);
    const info = JSON.parse(r.out);
    expect(info.safetyNumber).toMatch(/^\d{5}( \d{5}){11}$/);
    expect(info.safetyNumber).toBe(safetyNumber(bob.publicKey, loadIdentityFile(path).identity.publicKey));
    const unknown = await run(["identity", "show", "--file", path, "--peer", "carol", "--known-peers", join(dir, "peers.json")]);
    expect(unknown.code).toBe(ExitCode.USAGE);
    expect(unknown.err).toMatch(/no such peer is pinned/);
  });

  it("bad options exit 2 with a clear message", async () => {
    const cases: [string[], RegExp][] = [
      [["identity", "create", "--frobnicate"], /unknown option/],
      [["identity", "show", "--file", ""], /--file "".*allowed is a file path/],
      [["identity", "show", "--known-peers", "x.json"], /--known-peers without --peer/],
      [["identity", "show", "--peer", " "], /--peer " ".*allowed is a peer name/],
      [["identity", "dance"], /unknown command/],
      [["identity"], /a subcommand is needed, allowed is create or show/],
      [["identity", "create", "--file"], /argument missing/],
      [["identity", "show", "extra"], /too many arguments|unknown command/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(ExitCode.USAGE);
      expect(r.err, args.join(" ")).toMatch(message);
    }
  });

  it("--help documents the subcommands and the exit codes", async () => {
    for (const args of [["identity", "--help"], ["identity", "create", "--help"], ["identity", "show", "--help"]]) {
      const r = await run(args);
      expect(r.code).toBe(ExitCode.OK);
      expect(r.out).toMatch(args.length === 2 ? /create.*\n.*show/s : /Exit codes/);
    }
  });
});
