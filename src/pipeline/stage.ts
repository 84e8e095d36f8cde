/**
 * The stage model (DESIGN.md "The stage model"): a stage core is a plain object that takes
 * inputs through `push(input, nowUs)` and emits outputs synchronously to its downstream sink.
 * Time is always an argument; no stage reads the wall clock or sets timers.
 */

/** Anything that accepts items: the next stage, or a terminal sink. */
export interface Sink<T> {
  push(item: T, nowUs: number): void;
}

/** Counters a stage exposes; values are plain numbers so they serialize to JSON. */
export type StageStats = Record<string, number>;

export interface Stage<I, O> extends Sink<I> {
  /** A short name used as the key of this stage's stats in a pipeline. */
  readonly name: string;
  /** Sets where outputs go. One downstream per stage; fan-out is an explicit stage. */
  pipe(next: Sink<O>): void;
  /** Time-driven work (timeouts, pacing, reports). */
  tick(nowUs: number): void;
  stats(): StageStats;
  /** Frees resources (WASM memory, sockets). Idempotent. */
  close(): void;
}

const dropAll: Sink<unknown> = { push() {} };

/** Base class with the plumbing every stage shares: a downstream and no-op tick/close. */
export abstract class StageCore<I, O> implements Stage<I, O> {
  abstract readonly name: string;
  protected out: Sink<O> = dropAll as Sink<O>;

  abstract push(input: I, nowUs: number): void;

  pipe(next: Sink<O>): void {
    this.out = next;
  }

  tick(_nowUs: number): void {}

  stats(): StageStats {
    return {};
  }

  close(): void {}
}

/** A terminal sink that calls a function for every item. */
export function sinkTo<T>(fn: (item: T, nowUs: number) => void): Sink<T> {
  return { push: fn };
}

/** A stage from a function: `map(name, x => y)`; return undefined to drop the item. */
export function mapStage<I, O>(name: string, fn: (input: I, nowUs: number) => O | undefined): Stage<I, O> {
  return new (class extends StageCore<I, O> {
    readonly name = name;
    push(input: I, nowUs: number): void {
      const out = fn(input, nowUs);
      if (out !== undefined) this.out.push(out, nowUs);
    }
  })();
}
