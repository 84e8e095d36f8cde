/**
 * `rtcpipe identity create|show`: makes the long-term identity key pair of end-to-end call keys
 * (Ed25519 + X25519, src/e2ee) in a 0600 file, and prints its fingerprint, which two users compare
 * out of band; with --peer, the 60-digit safety number with a pinned peer.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { Command } from "commander";
import { BadFileError, InvalidOptionError } from "../errors.js";
import { defaultIdentityPath, loadIdentityFile, saveIdentityFile } from "../e2ee/identity-file.js";
import { IdentityKeyPair } from "../e2ee/identity-key-pair.js";
import { loadKnownPeers } from "../e2ee/known-peers.js";
import { identityFingerprint, safetyNumber, shortFingerprint } from "../e2ee/safety-number.js";
import { EXIT_CODES_HELP, ExitCode } from "./exit-codes.js";
import { reportError } from "./report-error.js";

interface IdentityFlags {
  file?: string;
  force?: boolean;
  json?: boolean;
  peer?: string;
  knownPeers?: string;
}

function identityPath(flags: IdentityFlags): string {
  if (flags.file === undefined) return defaultIdentityPath();
  if (flags.file.trim() === "") throw new InvalidOptionError(`Cannot use --file ${JSON.stringify(flags.file)}: allowed is a file path`);
  return flags.file;
}

/** The default known-peers file: next to the default identity file. */
export function defaultKnownPeersPath(): string {
  return process.env.RTCPIPE_KNOWN_PEERS ?? join(dirname(defaultIdentityPath()), "known-peers.json");
}

function describeIdentity(path: string, identity: IdentityKeyPair, createdMs: number): Record<string, unknown> {
  return {
    file: path,
    fingerprint: identityFingerprint(identity.publicKey),
    id: shortFingerprint(identity.publicKey),
    createdMs,
    ...identity.publicKey.toJSON(),
  };
}

function print(flags: IdentityFlags, info: Record<string, unknown>, heading: string): void {
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(info)}\n`);
    return;
  }
  const lines = [heading, `  fingerprint:   ${String(info.fingerprint)}`, `  id:            ${String(info.id)}`];
  lines.push(`  signing key:   ${String(info.signingKey)} (Ed25519)`, `  agreement key: ${String(info.agreementKey)} (X25519)`);
  if (info.safetyNumber !== undefined) lines.push(`  safety number with ${String(info.peer)}:`, `    ${String(info.safetyNumber)}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** `rtcpipe identity` with its `create` and `show` subcommands. */
export function identityCommand(setCode: (code: number) => void): Command {
  const run = (fn: (flags: IdentityFlags) => void) => (flags: IdentityFlags) => {
    try {
      fn(flags);
      setCode(ExitCode.OK);
    } catch (err) {
      setCode(reportError(err));
    }
  };
  const create = new Command("create")
    .description("Create a new identity key pair (Ed25519 + X25519) in a file with mode 0600 and print its fingerprint")
    .option("--file <path>", "identity file (default $RTCPIPE_IDENTITY or ~/.config/rtcpipe/identity.json)")
    .option("--force", "replace an existing identity file (the old identity is lost)")
    .option("--json", "print the result as JSON")
    .action(
      run((flags) => {
        const path = identityPath(flags);
        try {
          mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        } catch (err) {
          throw new BadFileError(`Cannot create identity file ${path}: ${(err as Error).message}`);
        }
        const identity = IdentityKeyPair.generate();
        const createdMs = Date.now();
        saveIdentityFile(path, identity, createdMs, flags.force ?? false);
        print(flags, describeIdentity(path, identity, createdMs), `Created identity ${path}`);
        identity.destroy();
      }),
    );
  const show = new Command("show")
    .description("Print the fingerprint of an identity (and with --peer, the safety number with a pinned peer)")
    .option("--file <path>", "identity file (default $RTCPIPE_IDENTITY or ~/.config/rtcpipe/identity.json)")
    .option("--peer <name>", "also print the 60-digit safety number with this pinned peer")
    .option("--known-peers <path>", "known-peers file for --peer (default next to the default identity file)")
    .option("--json", "print the result as JSON")
    .action(
      run((flags) => {
        if (flags.knownPeers !== undefined && flags.peer === undefined) throw new InvalidOptionError("Cannot use --known-peers without --peer");
        if (flags.peer !== undefined && flags.peer.trim() === "") throw new InvalidOptionError(`Cannot use --peer ${JSON.stringify(flags.peer)}: allowed is a peer name`);
        const path = identityPath(flags);
        const { identity, createdMs } = loadIdentityFile(path);
        const info = describeIdentity(path, identity, createdMs);
        if (flags.peer !== undefined) {
          const peersPath = flags.knownPeers ?? defaultKnownPeersPath();
          const pinned = loadKnownPeers(peersPath).get(flags.peer);
          if (pinned === undefined) throw new InvalidOptionError(`Cannot use --peer ${JSON.stringify(flags.peer)}: no such peer is pinned in ${peersPath}`);
          info.peer = flags.peer;
          info.peerFingerprint = identityFingerprint(pinned.identity);
          info.safetyNumber = safetyNumber(identity.publicKey, pinned.identity);
        }
        identity.destroy();
        print(flags, info, `Identity ${path}`);
      }),
    );
  const identity = new Command("identity")
    .description("Manage the identity key pair of end-to-end call keys (create, show)")
    .argument("[command]")
    .action((name: string | undefined) => {
      process.stderr.write(
        name === undefined
          ? "rtcpipe: Cannot run identity: a subcommand is needed, allowed is create or show\n"
          : `rtcpipe: Cannot run identity ${JSON.stringify(name)}: unknown command, allowed is create or show\n`,
      );
      setCode(ExitCode.USAGE);
    });
  for (const c of [create, show]) identity.addCommand(c.exitOverride().addHelpText("after", `\n${EXIT_CODES_HELP}\n`));
  return identity;
}
