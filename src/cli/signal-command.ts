/**
 * `rtcpipe signal`: runs a signaling server (WebSocket) on --host:--port until SIGINT or
 * SIGTERM; with --cluster redis://HOST:PORT it shares presence and routing with the other
 * nodes on that Redis. Prints the listening address (ws://HOST:PORT) on stdout.
 */
import { isIP } from "node:net";
import { Command } from "commander";
import { InvalidOptionError } from "../errors.js";
import { SignalingServer, type SignalingServerOptions } from "../signaling/signaling-server.js";
import { ExitCode } from "./exit-codes.js";
import { parseNumber } from "./option-parsers.js";
import { reportError } from "./report-error.js";

interface SignalFlags {
  port: string;
  host: string;
  cluster?: string;
  nodeId?: string;
  nodeTtl: string;
  maxConnections: string;
  rateLimit: string;
  json?: boolean;
}

/** Turns the command line into server options; throws InvalidOptionError naming what is allowed. */
function signalOptions(flags: SignalFlags): SignalingServerOptions {
  if (isIP(flags.host) === 0 && flags.host !== "localhost") {
    throw new InvalidOptionError(`Cannot use --host ${JSON.stringify(flags.host)}: allowed is an IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::1) or localhost`);
  }
  if (flags.cluster !== undefined && !/^rediss?:\/\/[^\s/:]+(:\d{1,5})?(\/\d+)?$/.test(flags.cluster)) {
    throw new InvalidOptionError(`Cannot use --cluster ${JSON.stringify(flags.cluster)}: allowed is a Redis URL like redis://127.0.0.1:6379`);
  }
  if (flags.nodeId !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(flags.nodeId)) {
    throw new InvalidOptionError(`Cannot use --node-id ${JSON.stringify(flags.nodeId)}: allowed is 1-64 of A-Z a-z 0-9 _ . -`);
  }
  const options: SignalingServerOptions = {
    host: flags.host,
    port: parseNumber("--port", flags.port, 0, 65535, true),
    nodeTtlMs: parseNumber("--node-ttl", flags.nodeTtl, 100, 3_600_000, true),
    maxConnections: parseNumber("--max-connections", flags.maxConnections, 1, 1_000_000, true),
    rateLimitPerS: parseNumber("--rate-limit", flags.rateLimit, 1, 1_000_000, true),
  };
  if (flags.cluster !== undefined) options.cluster = flags.cluster;
  if (flags.nodeId !== undefined) options.nodeId = flags.nodeId;
  return options;
}

/** The `signal` command for main.ts. */
export function signalCommand(setCode: (code: number) => void): Command {
  return new Command("signal")
    .description("Run a signaling server (WebSocket): registration, presence, offer/answer/candidate/hang-up relay; --cluster shares it through Redis")
    .requiredOption("--port <n>", "TCP port to listen on (0: any free port)")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--cluster <redis-url>", "share presence and routing with other nodes through Redis, e.g. redis://127.0.0.1:6379")
    .option("--node-id <id>", "this node's id in the cluster (default a random UUID)")
    .option("--node-ttl <ms>", "cluster: a node silent this long is presumed dead and its clients go offline", "15000")
    .option("--max-connections <n>", "most connections at once", "10000")
    .option("--rate-limit <n>", "frames per second per connection (burst 2x)", "50")
    .option("--json", "print the address and, at exit, the counters as JSON")
    .action(async (flags: SignalFlags) => {
      let server: SignalingServer | undefined;
      try {
        const options = signalOptions(flags);
        options.rateLimitBurst = 2 * options.rateLimitPerS!;
        server = await SignalingServer.start(options);
        const s = server;
        process.stdout.write(flags.json ? `${JSON.stringify({ url: s.url, nodeId: s.nodeId })}\n` : `rtcpipe signal: listening on ${s.url} (node ${s.nodeId}${flags.cluster ? `, cluster ${flags.cluster}` : ""})\n`);
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          const stop = (sig: NodeJS.Signals): void => {
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
            resolve(sig);
          };
          process.on("SIGINT", stop);
          process.on("SIGTERM", stop);
        });
        await s.close();
        const stats = s.stats();
        process.stdout.write(
          flags.json
            ? `${JSON.stringify({ stoppedBy: signal, stats })}\n`
            : `rtcpipe signal: ${signal}, closed; ${stats.connectionsAccepted} connections served, ${stats.relayed} messages relayed, ${stats.errorsSent} errors sent (malformed ${stats.malformed}, too large ${stats.tooLarge}, rate limited ${stats.rateLimited}, replayed offers ${stats.replayedOffers})\n`,
        );
        setCode(ExitCode.OK);
      } catch (err) {
        await server?.close().catch(() => undefined);
        setCode(reportError(err));
      }
    });
}
