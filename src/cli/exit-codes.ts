/** Exit codes of the `rtcpipe` command (documented in README.md and in `rtcpipe --help`). */
export const ExitCode = {
  /** The command did what it was asked. */
  OK: 0,
  /** It ran but failed: an I/O error, a peer that sent nothing, a codec failure. */
  FAILED: 1,
  /** Bad usage: an unknown command or option, or an option value outside what is allowed. */
  USAGE: 2,
  /** Something it needs is missing: the WASM codecs are not built, or an input file is bad. */
  MISSING: 3,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  the run failed (I/O error, nothing received, codec failure)
  2  bad usage: unknown command/option or a value outside what is allowed
  3  something needed is missing or bad: codecs not built (run npm install), unreadable input file`;
