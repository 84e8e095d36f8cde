import { InvalidOptionError } from "../errors.js";
import type { Sink, Stage, StageStats } from "./stage.js";

/**
 * A chain of stage cores that is itself a stage. Wiring happens once here; pushing an item
 * through the chain is a direct call per stage, with no per-item allocation.
 */
export class Pipeline<I, O> implements Stage<I, O> {
  readonly name: string;
  readonly stages: readonly Stage<unknown, unknown>[];
  private readonly first: Stage<I, unknown>;
  private readonly last: Stage<unknown, O>;

  constructor(stages: readonly Stage<unknown, unknown>[], name = "pipeline") {
    if (stages.length === 0) throw new InvalidOptionError("Cannot build a pipeline: it needs at least one stage");
    this.name = name;
    this.stages = stages;
    for (let i = 0; i + 1 < stages.length; i++) stages[i]!.pipe(stages[i + 1]!);
    this.first = stages[0] as Stage<I, unknown>;
    this.last = stages[stages.length - 1] as Stage<unknown, O>;
  }

  push(input: I, nowUs: number): void {
    this.first.push(input, nowUs);
  }

  pipe(next: Sink<O>): void {
    this.last.pipe(next);
  }

  tick(nowUs: number): void {
    for (const s of this.stages) s.tick(nowUs);
  }

  /** Stats of every stage, keyed `stageName.counter`. */
  stats(): StageStats {
    const all: StageStats = {};
    for (const s of this.stages) {
      for (const [k, v] of Object.entries(s.stats())) all[`${s.name}.${k}`] = v;
    }
    return all;
  }

  close(): void {
    for (const s of this.stages) s.close();
  }
}

// Overloads keep the types of a chain checked end to end.
export function pipeline<A, B>(s1: Stage<A, B>): Pipeline<A, B>;
export function pipeline<A, B, C>(s1: Stage<A, B>, s2: Stage<B, C>): Pipeline<A, C>;
export function pipeline<A, B, C, D>(s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>): Pipeline<A, D>;
export function pipeline<A, B, C, D, E>(s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>): Pipeline<A, E>;
export function pipeline<A, B, C, D, E, F>(
  s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>,
): Pipeline<A, F>;
export function pipeline<A, B, C, D, E, F, G>(
  s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>, s6: Stage<F, G>,
): Pipeline<A, G>;
export function pipeline(...stages: Stage<any, any>[]): Pipeline<any, any>;
export function pipeline(...stages: Stage<any, any>[]): Pipeline<any, any> {
  return new Pipeline(stages);
}
