import { RtcpipeError } from "../errors.js";
import { ExitCode } from "./exit-codes.js";

/** Maps an error to an exit code and prints it as one clear line. */
export function reportError(err: unknown): number {
  if (err instanceof RtcpipeError) {
    process.stderr.write(`rtcpipe: ${err.message}\n`);
    if (err.code === "ERR_INVALID_OPTION") return ExitCode.USAGE;
    if (err.code === "ERR_BAD_FILE" || err.code === "ERR_TOOL_MISSING") return ExitCode.MISSING;
    return ExitCode.FAILED;
  }
  process.stderr.write(`rtcpipe: ${(err as Error)?.stack ?? String(err)}\n`);
  return ExitCode.FAILED;
}

