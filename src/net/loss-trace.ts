import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { BadFileError, checkInt } from "../errors.js";
import { GilbertElliott } from "./gilbert-elliott.js";
import type { GilbertElliottParams } from "./gilbert-elliott.js";

/** What one entry of a loss trace covers: one packet, or one millisecond. */
export type LossTraceUnit = "packet" | "ms";

/** What happens past the last entry: start over, or deliver everything from then on. */
export type LossTraceAfter = "loop" | "deliver";

/** A Gilbert-Elliott parameter header instead of a per-entry pattern. */
export interface LossTraceModel {
  /** Average loss in percent. */
  lossPct: number;
  /** Mean burst length in packets. */
  meanBurstLength: number;
}

/** The longest trace accepted, in entries (units). */
const MAX_ENTRIES = 2 ** 40;

/**
 * A loss trace: which packets (or which milliseconds) are lost, replayed by `EmulatedLink`.
 * The text format is documented in docs/trace-formats.md:
 *
 * ```text
 * # comment
 * @unit packet            # or ms; default packet
 * @after loop             # or deliver; default loop
 * 0001000000 0100000000   # one character per entry: 1 = lost, 0 = delivered
 * 0*120 1*3               # run lengths: 120 delivered, then 3 lost
 * ```
 *
 * or, instead of entries, a Gilbert-Elliott header: `@gilbert-elliott loss_pct=10 mean_burst=3`.
 * Entries are stored as runs, so a long outage costs one line and a few bytes.
 */
export class LossTrace {
  /** File name or label, used in messages. */
  readonly name: string;
  readonly unit: LossTraceUnit;
  readonly after: LossTraceAfter;
  /** Set when the trace is a Gilbert-Elliott header rather than a pattern. */
  readonly model: LossTraceModel | undefined;
  /** Cumulative end (exclusive) of each run, in entries. */
  private readonly runEnds: number[];
  /** 1 when the run is lost. */
  private readonly runLost: Uint8Array;
  /** Run index of the last lookup, to make sequential reads O(1). */
  private cursor = 0;

  private constructor(
    name: string,
    unit: LossTraceUnit,
    after: LossTraceAfter,
    model: LossTraceModel | undefined,
    runEnds: number[],
    runLost: number[],
  ) {
    this.name = name;
    this.unit = unit;
    this.after = after;
    this.model = model;
    this.runEnds = runEnds;
    this.runLost = Uint8Array.from(runLost);
  }

  /** Number of entries in the pattern (0 for a Gilbert-Elliott header). */
  get length(): number {
    return this.runEnds.length === 0 ? 0 : this.runEnds[this.runEnds.length - 1]!;
  }

  /** Number of lost entries in one pass of the pattern. */
  get lostCount(): number {
    let lost = 0;
    let start = 0;
    for (let i = 0; i < this.runEnds.length; i++) {
      const end = this.runEnds[i]!;
      if (this.runLost[i] === 1) lost += end - start;
      start = end;
    }
    return lost;
  }

  /**
   * Whether entry `index` (a packet index, or a millisecond since the trace start) is lost.
   * Past the end the pattern loops, or everything is delivered (`@after deliver`).
   * Always false for a Gilbert-Elliott trace: use {@link LossTrace.modelParams} for those.
   */
  isLost(index: number): boolean {
    const total = this.length;
    if (total === 0 || index < 0) return false;
    let i = Math.floor(index);
    if (i >= total) {
      if (this.after === "deliver") return false;
      i %= total;
    }
    return this.runLost[this.findRun(i)] === 1;
  }

  /** Gilbert-Elliott transition probabilities for a model trace, else undefined. */
  modelParams(): GilbertElliottParams | undefined {
    return this.model ? GilbertElliott.paramsFromBurst(this.model.lossPct, this.model.meanBurstLength) : undefined;
  }

  private findRun(i: number): number {
    const ends = this.runEnds;
    const c = this.cursor;
    const cStart = c === 0 ? 0 : ends[c - 1]!;
    if (i >= cStart && i < ends[c]!) return c;
    if (c + 1 < ends.length && i >= ends[c]! && i < ends[c + 1]!) return (this.cursor = c + 1);
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! > i) hi = mid;
      else lo = mid + 1;
    }
    return (this.cursor = lo);
  }

  /**
   * A trace from a per-entry pattern (truthy = lost).
   * @param options.unit default "packet"; options.after default "loop".
   */
  static fromPattern(
    lost: ArrayLike<boolean | number>,
    options: { name?: string; unit?: LossTraceUnit; after?: LossTraceAfter } = {},
  ): LossTrace {
    const b = new RunBuilder();
    for (let i = 0; i < lost.length; i++) b.add(lost[i] ? 1 : 0, 1);
    return new LossTrace(options.name ?? "<pattern>", options.unit ?? "packet", options.after ?? "loop", undefined, b.ends, b.lost);
  }

  /** A trace that is a Gilbert-Elliott parameter header. */
  static fromModel(model: LossTraceModel, name = "<model>"): LossTrace {
    GilbertElliott.paramsFromBurst(model.lossPct, model.meanBurstLength); // validates
    return new LossTrace(name, "packet", "loop", { ...model }, [], []);
  }

  /**
   * Writes the trace in the text format: run-length lines for long runs, digit lines of up to
   * `lineWidth` entries otherwise. `parse(format(t))` gives back an equal trace.
   */
  format(options: { comments?: readonly string[]; lineWidth?: number } = {}): string {
    const lineWidth = checkInt("lineWidth", options.lineWidth ?? 64, 1, 10_000);
    const out: string[] = (options.comments ?? []).map((c) => `# ${c}`);
    if (this.unit !== "packet") out.push(`@unit ${this.unit}`);
    if (this.after !== "loop") out.push(`@after ${this.after}`);
    if (this.model) {
      out.push(`@gilbert-elliott loss_pct=${this.model.lossPct} mean_burst=${this.model.meanBurstLength}`);
      return out.join("\n") + "\n";
    }
    let digits = "";
    const flush = (): void => {
      if (digits.length > 0) out.push(digits);
      digits = "";
    };
    let start = 0;
    for (let i = 0; i < this.runEnds.length; i++) {
      const end = this.runEnds[i]!;
      const n = end - start;
      const ch = this.runLost[i] === 1 ? "1" : "0";
      if (n > 16) {
        flush();
        out.push(`${ch}*${n}`);
      } else {
        for (let k = 0; k < n; k++) {
          digits += ch;
          if (digits.length >= lineWidth) flush();
        }
      }
      start = end;
    }
    flush();
    return out.join("\n") + "\n";
  }

  /**
   * Parses the text format. Throws BadFileError "Cannot read loss trace NAME: line N: reason".
   */
  static parse(text: string, name = "<string>"): LossTrace {
    const fail = (line: number, reason: string): never => {
      throw new BadFileError(`Cannot read loss trace ${name}: line ${line}: ${reason}`);
    };
    let unit: LossTraceUnit | undefined;
    let after: LossTraceAfter | undefined;
    let model: LossTraceModel | undefined;
    let modelLine = 0;
    let firstEntryLine = 0;
    const b = new RunBuilder();
    const lines = text.split(/\r?\n/);
    for (let ln = 0; ln < lines.length; ln++) {
      const lineNo = ln + 1;
      const hash = lines[ln]!.indexOf("#");
      const body = (hash >= 0 ? lines[ln]!.slice(0, hash) : lines[ln]!).trim();
      if (body === "") continue;
      if (body.startsWith("@")) {
        const [directive, ...args] = body.split(/\s+/);
        switch (directive) {
          case "@unit":
            if (unit !== undefined) fail(lineNo, "@unit given twice");
            if (args.length !== 1 || (args[0] !== "packet" && args[0] !== "ms")) fail(lineNo, "@unit takes packet or ms");
            unit = args[0] as LossTraceUnit;
            break;
          case "@after":
            if (after !== undefined) fail(lineNo, "@after given twice");
            if (args.length !== 1 || (args[0] !== "loop" && args[0] !== "deliver")) fail(lineNo, "@after takes loop or deliver");
            after = args[0] as LossTraceAfter;
            break;
          case "@gilbert-elliott": {
            if (model !== undefined) fail(lineNo, "@gilbert-elliott given twice");
            model = parseModel(args, (reason) => fail(lineNo, reason));
            modelLine = lineNo;
            break;
          }
          default:
            fail(lineNo, `unknown directive ${JSON.stringify(directive)}; known are @unit, @after, @gilbert-elliott`);
        }
        continue;
      }
      if (firstEntryLine === 0) firstEntryLine = lineNo;
      for (const token of body.split(/\s+/)) {
        const star = token.indexOf("*");
        if (star >= 0) {
          const value = token.slice(0, star);
          const count = token.slice(star + 1);
          if (value !== "0" && value !== "1") fail(lineNo, `run ${JSON.stringify(token)} must start with 0 or 1`);
          if (!/^[0-9]{1,13}$/.test(count) || Number(count) < 1) fail(lineNo, `run ${JSON.stringify(token)} needs a count from 1`);
          b.add(value === "1" ? 1 : 0, Number(count));
        } else {
          if (!/^[01]+$/.test(token)) fail(lineNo, `entry ${JSON.stringify(token.slice(0, 20))} is not 0/1 digits or a run like 1*5`);
          for (let k = 0; k < token.length; k++) b.add(token.charCodeAt(k) === 0x31 ? 1 : 0, 1);
        }
        if (b.total > MAX_ENTRIES) fail(lineNo, `the trace is longer than ${MAX_ENTRIES} entries`);
      }
    }
    if (model !== undefined) {
      if (firstEntryLine !== 0) fail(firstEntryLine, `entries are not allowed with @gilbert-elliott (line ${modelLine})`);
      if (unit === "ms") fail(modelLine, "@gilbert-elliott works per packet; remove @unit ms");
    } else if (b.total === 0) {
      fail(lines.length, "the trace has no entries");
    }
    return new LossTrace(name, unit ?? "packet", after ?? "loop", model, b.ends, b.lost);
  }

  /** Reads and parses a loss trace file. */
  static async load(path: string): Promise<LossTrace> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      throw new BadFileError(`Cannot read loss trace ${path}: ${(e as Error).message}`);
    }
    return LossTrace.parse(text, path);
  }

  /** Synchronous {@link LossTrace.load}, for setup code and tests. */
  static loadSync(path: string): LossTrace {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new BadFileError(`Cannot read loss trace ${path}: ${(e as Error).message}`);
    }
    return LossTrace.parse(text, path);
  }
}

function parseModel(args: string[], fail: (reason: string) => never): LossTraceModel {
  let lossPct: number | undefined;
  let meanBurst: number | undefined;
  for (const a of args) {
    const m = /^(loss_pct|mean_burst)=([0-9]+(?:\.[0-9]+)?)$/.exec(a);
    if (!m) fail(`@gilbert-elliott argument ${JSON.stringify(a.slice(0, 30))} is not loss_pct=NUMBER or mean_burst=NUMBER`);
    const v = Number(m![2]);
    if (m![1] === "loss_pct") lossPct = v;
    else meanBurst = v;
  }
  if (lossPct === undefined || meanBurst === undefined) fail("@gilbert-elliott needs loss_pct= and mean_burst=");
  try {
    GilbertElliott.paramsFromBurst(lossPct!, meanBurst!);
  } catch (e) {
    fail((e as Error).message);
  }
  return { lossPct: lossPct!, meanBurstLength: meanBurst! };
}

/** Accumulates entries into merged runs. */
class RunBuilder {
  readonly ends: number[] = [];
  readonly lost: number[] = [];
  total = 0;
  add(lost: 0 | 1, count: number): void {
    this.total += count;
    const n = this.lost.length;
    if (n > 0 && this.lost[n - 1] === lost) this.ends[n - 1] = this.total;
    else {
      this.ends.push(this.total);
      this.lost.push(lost);
    }
  }
}
