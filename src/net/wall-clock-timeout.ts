/**
 * The one timer a sans-IO core needs on the wall clock (ICE agent, TURN client): armed for the
 * core's next timeout, re-armed only when that moves earlier, cleared when there is none.
 */

/** µs on the wall clock's monotonic base (performance.now). */
export const wallClockUs = (): number => Math.round(performance.now() * 1000);

export class WallClockTimeout {
  private timer: NodeJS.Timeout | undefined;
  private atUs = Infinity;

  /** `fire(nowUs)` runs when the timeout is due; `unref` lets the process exit while it waits. */
  constructor(
    private readonly fire: (nowUs: number) => void,
    private readonly unref = false,
  ) {}

  /** Arms for `nextUs` (µs on `wallClockUs`), or clears with undefined. */
  schedule(nextUs: number | undefined): void {
    if (nextUs === undefined) return this.cancel();
    if (this.timer && nextUs >= this.atUs) return;
    if (this.timer) clearTimeout(this.timer);
    this.atUs = nextUs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.atUs = Infinity;
      this.fire(wallClockUs());
    }, Math.max(0, Math.ceil((nextUs - wallClockUs()) / 1000)));
    if (this.unref) this.timer.unref?.();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.atUs = Infinity;
  }
}
