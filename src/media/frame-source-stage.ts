import { StageCore, type StageStats } from "../pipeline/stage.js";

/**
 * The head of a pipeline for pull-driven sources. A source makes frames on request
 * (`next()`, and usually `frameAt(index)`); `emitNext(nowUs)` takes the next frame, stamps it
 * with the capture time `nowUs` and pushes it downstream. Pushing any value into the source
 * (as `pipeline(source, ...)` does with `push(undefined, nowUs)`) is the same as `emitNext`.
 * The caller decides when frames happen (a clock's `every`), never the source.
 */
export abstract class FrameSourceStage<T extends { captureTimeUs: number }> extends StageCore<unknown, T> {
  protected emitted = 0;
  protected exhausted = 0;

  /** The next frame in order, or undefined at the end of a finite source. */
  abstract next(): T | undefined;

  /** Emits the next frame downstream with captureTimeUs = nowUs; returns it (undefined at the end). */
  emitNext(nowUs: number): T | undefined {
    const frame = this.next();
    if (frame === undefined) {
      this.exhausted++;
      return undefined;
    }
    frame.captureTimeUs = nowUs;
    this.emitted++;
    this.out.push(frame, nowUs);
    return frame;
  }

  push(_trigger: unknown, nowUs: number): void {
    this.emitNext(nowUs);
  }

  override stats(): StageStats {
    return { framesEmitted: this.emitted, pullsAtEnd: this.exhausted };
  }
}
