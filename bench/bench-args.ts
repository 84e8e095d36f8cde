/** What every benchmark here shares: its folder (results go to `results/`) and its flags. */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** This folder (bench/). */
export const here = path.dirname(fileURLToPath(import.meta.url));
/** The command-line flags after the script. */
export const args = process.argv.slice(2);
const maxTimeArg = args.indexOf("--max-time");
/** `--max-time S`: how long benny runs each case (default 1.5 s). */
export const MAX_TIME_S = maxTimeArg >= 0 ? Number(args[maxTimeArg + 1]) : 1.5;
