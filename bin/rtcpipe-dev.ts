// The rtcpipe command from the TypeScript sources (no build): node --import tsx bin/rtcpipe-dev.ts ...
import { main } from "../src/cli/main.js";

process.exitCode = await main(process.argv);
