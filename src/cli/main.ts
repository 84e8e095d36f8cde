import { Command, CommanderError } from "commander";
import { callCommand } from "./call-command.js";
import { EXIT_CODES_HELP, ExitCode } from "./exit-codes.js";
import { identityCommand } from "./identity-command.js";
import { reportError } from "./report-error.js";
import { receiveCommand } from "./receive-command.js";
import { sendCommand } from "./send-command.js";
import { signalCommand } from "./signal-command.js";

/** What a command action returns: its exit code. */
export type CommandResult = Promise<number>;

/** Runs the CLI on `argv` (as process.argv) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code: number = ExitCode.OK;
  const program = new Command("rtcpipe")
    .description("A real-time media engine: VP8/VP9 + Opus over RTP/SRTP, on an emulated network or real UDP.")
    .addHelpText("after", `\n${EXIT_CODES_HELP}\n`)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const setCode = (c: number): void => {
    code = c;
  };
  program.addCommand(callCommand(setCode));
  program.addCommand(sendCommand(setCode));
  program.addCommand(receiveCommand(setCode));
  program.addCommand(signalCommand(setCode));
  program.addCommand(identityCommand(setCode));
  for (const c of program.commands) c.exitOverride().addHelpText("after", `\n${EXIT_CODES_HELP}\n`);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return ExitCode.OK;
      return ExitCode.USAGE;
    }
    return reportError(err);
  }
  return code;
}
