import { MinHeap } from "../util/min-heap.js";

/**
 * Clocks drive `tick` and timers from outside the stage cores (DESIGN.md "The stage model").
 * `VirtualClock` runs time as fast as the CPU allows, deterministically; `RealClock` follows
 * the wall clock with timers, for live calls on real sockets.
 */
export interface Clock {
  /** Microseconds since the clock's epoch. */
  nowUs(): number;
  /** Runs `fn(nowUs)` once at `atUs` (or as soon as possible if that is past). */
  at(atUs: number, fn: (nowUs: number) => void): TimerHandle;
  /** Runs `fn(nowUs)` every `periodUs`, first at now + periodUs. */
  every(periodUs: number, fn: (nowUs: number) => void): TimerHandle;
}

export interface TimerHandle {
  cancel(): void;
}

interface Scheduled {
  atUs: number;
  seq: number;
  fn: (nowUs: number) => void;
  cancelled: boolean;
}

function before(x: Scheduled, y: Scheduled): boolean {
  return x.atUs < y.atUs || (x.atUs === y.atUs && x.seq < y.seq);
}

/** Deterministic simulated time. `runUntil(t)` fires every timer due up to t, in order. */
export class VirtualClock implements Clock {
  private now: number;
  private seq = 0;
  private readonly heap = new MinHeap<Scheduled>(before);

  constructor(startUs = 0) {
    this.now = startUs;
  }

  nowUs(): number {
    return this.now;
  }

  at(atUs: number, fn: (nowUs: number) => void): TimerHandle {
    const t: Scheduled = { atUs: Math.max(atUs, this.now), seq: this.seq++, fn, cancelled: false };
    this.heap.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }

  every(periodUs: number, fn: (nowUs: number) => void): TimerHandle {
    let cancelled = false;
    let handle: TimerHandle | undefined;
    const run = (nowUs: number): void => {
      if (cancelled) return;
      fn(nowUs);
      if (!cancelled) handle = this.at(nowUs + periodUs, run);
    };
    handle = this.at(this.now + periodUs, run);
    return {
      cancel: () => {
        cancelled = true;
        handle?.cancel();
      },
    };
  }

  /** Time of the next pending timer, or undefined when none is pending. */
  nextTimerUs(): number | undefined {
    this.dropCancelled();
    return this.heap.peek()?.atUs;
  }

  /** Advances time to `untilUs`, firing due timers in time order. */
  runUntil(untilUs: number): void {
    for (;;) {
      this.dropCancelled();
      const next = this.heap.peek();
      if (!next || next.atUs > untilUs) break;
      this.heap.pop();
      this.now = next.atUs;
      next.fn(this.now);
    }
    if (untilUs > this.now) this.now = untilUs;
  }

  private dropCancelled(): void {
    while (this.heap.peek()?.cancelled) this.heap.pop();
  }
}

/** Wall-clock time from `performance.now()`, timers from `setTimeout`. */
export class RealClock implements Clock {
  private readonly originMs = performance.now();

  nowUs(): number {
    return Math.round((performance.now() - this.originMs) * 1000);
  }

  at(atUs: number, fn: (nowUs: number) => void): TimerHandle {
    const delayMs = Math.max(0, (atUs - this.nowUs()) / 1000);
    const t = setTimeout(() => fn(this.nowUs()), delayMs);
    return { cancel: () => clearTimeout(t) };
  }

  every(periodUs: number, fn: (nowUs: number) => void): TimerHandle {
    // Schedules against absolute deadlines so timer lateness does not accumulate.
    let next = this.nowUs() + periodUs;
    let handle: TimerHandle | undefined;
    let cancelled = false;
    const run = (nowUs: number): void => {
      if (cancelled) return;
      fn(nowUs);
      next += periodUs;
      if (next < nowUs) next = nowUs + periodUs;
      handle = this.at(next, run);
    };
    handle = this.at(next, run);
    return {
      cancel: () => {
        cancelled = true;
        handle?.cancel();
      },
    };
  }
}
