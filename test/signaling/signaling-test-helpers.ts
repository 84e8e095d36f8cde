/**
 * Helpers for the signaling tests: a raw WebSocket that sends any frame and collects the
 * server's replies, and a poll-until helper for asynchronous state (presence, closes).
 */
import { WebSocket } from "ws";

/** A raw protocol connection: sends frames as given, records every reply and the close. */
export class RawSocket {
  readonly replies: Record<string, unknown>[] = [];
  closeCode: number | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.replies.push(JSON.parse(data.toString()) as Record<string, unknown>);
      this.wake();
    });
    ws.on("close", (code) => {
      this.closeCode = code;
      this.wake();
    });
    ws.on("error", () => undefined);
  }

  /** Opens a raw connection to `url`. */
  static async open(url: string): Promise<RawSocket> {
    const ws = new WebSocket(url, { maxPayload: 16 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new RawSocket(ws);
  }

  /** Sends a text frame (objects are JSON-encoded) or a binary frame (Uint8Array). */
  send(frame: string | object | Uint8Array): void {
    if (frame instanceof Uint8Array) this.ws.send(frame, { binary: true });
    else this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Waits for the first reply (from index `from` on) matching `match`. */
  async reply(match: (m: Record<string, unknown>) => boolean, from = 0, timeoutMs = 5000): Promise<Record<string, unknown>> {
    await this.until(() => this.replies.slice(from).some(match) || this.closeCode !== undefined, timeoutMs);
    const m = this.replies.slice(from).find(match);
    if (!m) throw new Error(`no matching reply; closed with ${String(this.closeCode)}; got ${JSON.stringify(this.replies.slice(from)).slice(0, 500)}`);
    return m;
  }

  /** Waits until the server closed the connection; resolves to the close code. */
  async closed(timeoutMs = 5000): Promise<number> {
    await this.until(() => this.closeCode !== undefined, timeoutMs);
    return this.closeCode!;
  }

  /** Waits until `cond()` holds (re-checked on every reply and close). */
  until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`condition not met within ${timeoutMs} ms`)), timeoutMs);
      const check = (): void => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Polls `cond` every 10 ms until it holds; throws after `timeoutMs`. */
export async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
