/**
 * STUN benchmark: parse + integrity check (HMAC-SHA1) + FINGERPRINT of an ICE connectivity
 * check (the RFC 5769 2.1 sample request: USERNAME, PRIORITY, ICE-CONTROLLED,
 * MESSAGE-INTEGRITY, FINGERPRINT), and building one; werift 0.24's STUN Message
 * (parseMessage with the key / addMessageIntegrity + addFingerprint) alongside. Also the TURN
 * framing of a 1200-byte media datagram: ChannelData vs Send indication.
 *
 *   npx tsx bench/stun.ts [--max-time 1.5]
 *
 * Writes bench/results/stun.json and prints µs per operation.
 */
import b from "benny";
import * as fs from "node:fs";
import * as path from "node:path";
import { Message as WeriftMessage, parseMessage as weriftParse } from "werift";
import { StunAttributeType as T } from "../src/stun/stun-attribute-type.js";
import { shortTermKey } from "../src/stun/stun-credentials.js";
import { StunMessage } from "../src/stun/stun-message.js";
import { StunClass, StunMethod } from "../src/stun/stun-message-type.js";
import { transportAddress } from "../src/stun/transport-address.js";
import { ChannelData } from "../src/turn/channel-data.js";
import { SeededRandom } from "../src/util/seeded-random.js";
import { here, MAX_TIME_S } from "./bench-args.js";


interface Row {
  case: string;
  impl: string;
  usPerOp: number;
  opsPerSec: number;
  marginPct: number;
}

const TID = Uint8Array.from(Buffer.from("b7e7a701bc34d686fa87dfae", "hex"));
const PASSWORD = "VOkJxbRl1RmTxUk/WvJxBt";
const key = shortTermKey(PASSWORD);
const keyBuffer = Buffer.from(key);
const build = (): Uint8Array =>
  new StunMessage({ messageClass: StunClass.request, method: StunMethod.binding, transactionId: TID })
    .addText(T.software, "STUN test client")
    .addUint32(T.priority, 0x6e0001ff)
    .addTieBreaker(T.iceControlled, 0x932ff9b151263b36n)
    .addText(T.username, "evtj:h6vY")
    .serialize({ integrityKey: key, fingerprint: true });
const wire = build();
const wireBuffer = Buffer.from(wire);

// Sanity: both verify the RFC 5769 message before timing.
if (!StunMessage.parse(wire).verifyIntegrity(key)) throw new Error("rtcpipe does not verify the sample");
if (weriftParse(wireBuffer, keyBuffer) === undefined) throw new Error("werift does not parse the sample");
if (weriftParse(wireBuffer, Buffer.from("wrong")) !== undefined) throw new Error("werift does not check integrity; comparison void");

const weriftBuild = (): Buffer => {
  const m = new WeriftMessage(0x001 as never, 0x000 as never, Buffer.from(TID));
  m.setAttribute("SOFTWARE", "STUN test client");
  m.setAttribute("PRIORITY", 0x6e0001ff);
  m.setAttribute("ICE-CONTROLLED", 0x932ff9b151263b36n);
  m.setAttribute("USERNAME", "evtj:h6vY");
  m.addMessageIntegrity(keyBuffer);
  m.addFingerprint();
  return m.bytes;
};
weriftBuild();

const rng = new SeededRandom(7);
const media = rng.fill(new Uint8Array(1200));
const peer = transportAddress("198.51.100.7", 40000);
const out = new Uint8Array(1500);
let sink = 0;

const rows: Row[] = [];
const config = b.configure({ cases: { maxTime: MAX_TIME_S, minSamples: 10 } });
const collect = (name: string) =>
  b.complete((summary) => {
    for (const r of summary.results) rows.push({ case: name, impl: r.name, usPerOp: 1e6 / r.ops, opsPerSec: r.ops, marginPct: r.margin });
  });

await b.suite(
  `ICE check ${wire.length} bytes (RFC 5769 2.1)`,
  config,
  b.add("rtcpipe parse + FINGERPRINT + verify MI", () => {
    const m = StunMessage.parse(wire);
    if (m.verifyIntegrity(key)) sink++;
  }),
  b.add("werift parseMessage(key)", () => {
    if (weriftParse(wireBuffer, keyBuffer)) sink++;
  }),
  b.add("rtcpipe build + MI + FINGERPRINT", () => {
    sink += build().length;
  }),
  b.add("werift build + MI + FINGERPRINT", () => {
    sink += weriftBuild().length;
  }),
  b.cycle(),
  collect("stun"),
);

await b.suite(
  "TURN framing of a 1200-byte datagram",
  config,
  b.add("ChannelData serializeInto", () => {
    sink += new ChannelData(0x4000, media).serializeInto(out, 0);
  }),
  b.add("ChannelData parse", () => {
    sink += ChannelData.parse(out.subarray(0, 1204)).data.length;
  }),
  b.add("Send indication serialize", () => {
    sink += new StunMessage({ messageClass: StunClass.indication, method: StunMethod.send, transactionId: TID }).addXorAddress(T.xorPeerAddress, peer).add(T.data, media).serialize().length;
  }),
  b.cycle(),
  collect("turn"),
);

const result = { packetBytes: wire.length, node: process.version, rows, sink };
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(path.join(here, "results", "stun.json"), JSON.stringify(result, null, 2) + "\n");
console.log("\ncase  impl                                        µs/op");
for (const r of rows) console.log(`${r.case.padEnd(5)} ${r.impl.padEnd(44)} ${r.usPerOp.toFixed(3)}`);
