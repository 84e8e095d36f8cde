import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { BadFileError, checkRange, InvalidOptionError } from "../errors.js";

/** One step of a bandwidth trace: from `timeMs` on, the capacity is `capacityKbps`. */
export interface BandwidthStep {
  timeMs: number;
  capacityKbps: number;
}

const MAX_TIME_MS = 1e9;
const MAX_CAPACITY_KBPS = 1e8;

/**
 * A bandwidth trace: bottleneck capacity as a step function of time, replayed by
 * `EmulatedLink`. Text format (docs/trace-formats.md): CSV lines `time_ms,capacity_kbps`,
 * `#` comments, an optional `time_ms,capacity_kbps` header line, the first step at 0 and times
 * strictly increasing. After the last step its capacity holds forever, unless a line
 * `@loop_ms N` makes the whole trace repeat every N ms (N greater than the last time).
 * 1 kbps = 1000 bit/s. Capacity 0 is an outage: nothing leaves the queue.
 */
export class BandwidthTrace {
  readonly name: string;
  /** Period of repetition in ms, or undefined when the last step holds. */
  readonly loopMs: number | undefined;
  private readonly startUs: Float64Array;
  private readonly rateBps: Float64Array;
  private cursor = 0;

  private constructor(name: string, steps: readonly BandwidthStep[], loopMs: number | undefined) {
    this.name = name;
    this.loopMs = loopMs;
    this.startUs = Float64Array.from(steps, (s) => s.timeMs * 1000);
    this.rateBps = Float64Array.from(steps, (s) => s.capacityKbps * 1000);
  }

  /** The steps, as given. */
  get steps(): BandwidthStep[] {
    return Array.from(this.startUs, (t, i) => ({ timeMs: t / 1000, capacityKbps: this.rateBps[i]! / 1000 }));
  }

  /** The highest capacity in the trace, in bit/s. */
  get maxRateBps(): number {
    let m = 0;
    for (const r of this.rateBps) m = Math.max(m, r);
    return m;
  }

  /**
   * A trace from steps. Throws InvalidOptionError when the first step is not at 0, times are
   * not strictly increasing, a capacity is negative, or loopMs is not after the last step.
   */
  static fromSteps(steps: readonly BandwidthStep[], options: { name?: string; loopMs?: number } = {}): BandwidthTrace {
    if (steps.length === 0) throw new InvalidOptionError("Cannot build a bandwidth trace: it needs at least one step");
    steps.forEach((s, i) => {
      checkRange(`steps[${i}].timeMs`, s.timeMs, 0, MAX_TIME_MS);
      checkRange(`steps[${i}].capacityKbps`, s.capacityKbps, 0, MAX_CAPACITY_KBPS);
    });
    if (steps[0]!.timeMs !== 0) throw new InvalidOptionError(`Cannot build a bandwidth trace: the first step must be at timeMs=0, not ${steps[0]!.timeMs}`);
    for (let i = 1; i < steps.length; i++) {
      if (!(steps[i]!.timeMs > steps[i - 1]!.timeMs)) {
        throw new InvalidOptionError(`Cannot build a bandwidth trace: steps[${i}].timeMs=${steps[i]!.timeMs} is not after the previous step`);
      }
    }
    const last = steps[steps.length - 1]!.timeMs;
    if (options.loopMs !== undefined) {
      checkRange("loopMs", options.loopMs, 0, MAX_TIME_MS);
      if (!(options.loopMs > last)) throw new InvalidOptionError(`Cannot use loopMs=${options.loopMs}: it must be after the last step at ${last} ms`);
    }
    return new BandwidthTrace(options.name ?? "<steps>", steps, options.loopMs);
  }

  /** Capacity in bit/s at `tUs` microseconds after the trace start. */
  rateAtUs(tUs: number): number {
    const local = this.loopMs !== undefined ? mod(tUs, this.loopMs * 1000) : Math.max(0, tUs);
    return this.rateBps[this.segmentAt(local)]!;
  }

  /**
   * When a transmission of `bits` that starts at `startUs` (µs after the trace start) ends,
   * following the capacity steps; Infinity when the capacity stays 0 forever.
   */
  finishUs(startUs: number, bits: number): number {
    const n = this.startUs.length;
    const periodUs = this.loopMs !== undefined ? this.loopMs * 1000 : Infinity;
    let base = 0;
    let local = Math.max(0, startUs);
    if (periodUs !== Infinity) {
      base = Math.floor(local / periodUs) * periodUs;
      local -= base;
      let any = false;
      for (const r of this.rateBps) if (r > 0) any = true;
      if (!any) return Infinity;
    }
    let i = this.segmentAt(local);
    let remaining = bits;
    for (;;) {
      const rate = this.rateBps[i]!;
      const segEnd = i + 1 < n ? this.startUs[i + 1]! : periodUs;
      if (rate > 0) {
        const needUs = (remaining / rate) * 1e6;
        if (local + needUs <= segEnd) return base + local + needUs;
        remaining -= ((segEnd - local) * rate) / 1e6;
      } else if (segEnd === Infinity) {
        return Infinity;
      }
      local = segEnd;
      i++;
      if (i === n) {
        base += periodUs;
        local = 0;
        i = 0;
      }
    }
  }

  private segmentAt(localUs: number): number {
    const s = this.startUs;
    const c = this.cursor;
    if (localUs >= s[c]! && (c + 1 >= s.length || localUs < s[c + 1]!)) return c;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= localUs) lo = mid;
      else hi = mid - 1;
    }
    return (this.cursor = lo);
  }

  /** Writes the trace in the CSV format; `parse(format(t))` gives back an equal trace. */
  format(options: { comments?: readonly string[] } = {}): string {
    const out = (options.comments ?? []).map((c) => `# ${c}`);
    out.push("time_ms,capacity_kbps");
    for (const s of this.steps) out.push(`${s.timeMs},${s.capacityKbps}`);
    if (this.loopMs !== undefined) out.push(`@loop_ms ${this.loopMs}`);
    return out.join("\n") + "\n";
  }

  /** Parses the CSV format. Throws BadFileError "Cannot read bandwidth trace NAME: line N: reason". */
  static parse(text: string, name = "<string>"): BandwidthTrace {
    const fail = (line: number, reason: string): never => {
      throw new BadFileError(`Cannot read bandwidth trace ${name}: line ${line}: ${reason}`);
    };
    const steps: BandwidthStep[] = [];
    let loopMs: number | undefined;
    let loopLine = 0;
    let sawHeader = false;
    const lines = text.split(/\r?\n/);
    for (let ln = 0; ln < lines.length; ln++) {
      const lineNo = ln + 1;
      const hash = lines[ln]!.indexOf("#");
      const body = (hash >= 0 ? lines[ln]!.slice(0, hash) : lines[ln]!).trim();
      if (body === "") continue;
      if (body.startsWith("@")) {
        const m = /^@loop_ms\s+([0-9]+(?:\.[0-9]+)?)$/.exec(body);
        if (!m) fail(lineNo, `unknown directive ${JSON.stringify(body.slice(0, 30))}; known is @loop_ms N`);
        if (loopMs !== undefined) fail(lineNo, "@loop_ms given twice");
        loopMs = Number(m![1]);
        loopLine = lineNo;
        continue;
      }
      if (/^time_ms\s*,\s*capacity_kbps$/.test(body)) {
        if (sawHeader || steps.length > 0) fail(lineNo, "the header line time_ms,capacity_kbps may only come first");
        sawHeader = true;
        continue;
      }
      const m = /^([0-9]+(?:\.[0-9]+)?)\s*,\s*([0-9]+(?:\.[0-9]+)?)$/.exec(body);
      if (!m) fail(lineNo, `expected time_ms,capacity_kbps with non-negative numbers, got ${JSON.stringify(body.slice(0, 40))}`);
      const timeMs = Number(m![1]);
      const capacityKbps = Number(m![2]);
      if (timeMs > MAX_TIME_MS) fail(lineNo, `time_ms=${m![1]} is beyond ${MAX_TIME_MS}`);
      if (capacityKbps > MAX_CAPACITY_KBPS) fail(lineNo, `capacity_kbps=${m![2]} is beyond ${MAX_CAPACITY_KBPS}`);
      const prev = steps[steps.length - 1];
      if (prev === undefined && timeMs !== 0) fail(lineNo, `the first step must be at time_ms 0, not ${m![1]}`);
      if (prev !== undefined && !(timeMs > prev.timeMs)) fail(lineNo, `time_ms=${m![1]} is not after the previous ${prev.timeMs}`);
      steps.push({ timeMs, capacityKbps });
    }
    if (steps.length === 0) fail(lines.length, "the trace has no time_ms,capacity_kbps lines");
    if (loopMs !== undefined && !(loopMs > steps[steps.length - 1]!.timeMs)) {
      fail(loopLine, `@loop_ms ${loopMs} must be after the last step at ${steps[steps.length - 1]!.timeMs} ms`);
    }
    return new BandwidthTrace(name, steps, loopMs);
  }

  /** Reads and parses a bandwidth trace file. */
  static async load(path: string): Promise<BandwidthTrace> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      throw new BadFileError(`Cannot read bandwidth trace ${path}: ${(e as Error).message}`);
    }
    return BandwidthTrace.parse(text, path);
  }

  /** Synchronous {@link BandwidthTrace.load}, for setup code and tests. */
  static loadSync(path: string): BandwidthTrace {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new BadFileError(`Cannot read bandwidth trace ${path}: ${(e as Error).message}`);
    }
    return BandwidthTrace.parse(text, path);
  }
}

function mod(a: number, m: number): number {
  const r = a % m;
  return r < 0 ? r + m : r;
}
