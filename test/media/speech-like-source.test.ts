import { describe, expect, it } from "vitest";
import { SpeechLikeSource } from "../../src/media/speech-like-source.js";

function rmsDb(s: Int16Array): number {
  let e = 0;
  for (const v of s) e += v * v;
  return 10 * Math.log10(e / s.length / 32768 ** 2 + 1e-20);
}

describe("SpeechLikeSource", () => {
  it("is deterministic per frame: random access equals sequential reading and another instance", () => {
    const a = new SpeechLikeSource({ seed: 5 });
    const seq = Array.from({ length: 200 }, () => a.next());
    const b = new SpeechLikeSource({ seed: 5 });
    for (const i of [150, 3, 77, 199, 0, 78]) expect(b.frameAt(i).samples).toEqual(seq[i]!.samples);
    const c = new SpeechLikeSource({ seed: 6 });
    expect(c.frameAt(30).samples).not.toEqual(seq[30]!.samples);
  });

  it("has talk spurts and pauses: about 40-80% speech frames, quiet pauses, loud syllables", () => {
    const s = new SpeechLikeSource({ seed: 1 });
    let speech = 0, loud = 0, quiet = 0;
    const n = 1500; // 30 s
    for (let i = 0; i < n; i++) {
      const db = rmsDb(s.frameAt(i).samples);
      if (s.isSpeech(i)) {
        speech++;
        if (db > -40) loud++;
      } else if (db < -60) quiet++;
    }
    expect(speech / n).toBeGreaterThan(0.4);
    expect(speech / n).toBeLessThan(0.8);
    expect(loud / speech).toBeGreaterThan(0.8);
    expect(quiet).toBe(n - speech);
  });

  it("voiced frames are periodic at the pitch and band-limited like speech (energy mostly < 4 kHz)", () => {
    const s = new SpeechLikeSource({ seed: 2, pitchHz: 120 });
    // Find a loud frame and autocorrelate over lags of 2.5..12.5 ms (80..400 Hz).
    let best = 0;
    let checked = 0;
    for (let i = 0; i < 500 && checked < 20; i++) {
      const x = s.frameAt(i).samples;
      if (rmsDb(x) < -30) continue;
      checked++;
      let e0 = 0;
      for (let k = 0; k < 960; k++) e0 += x[k]! * x[k]!;
      let peak = 0, lagAt = 0;
      for (let lag = 120; lag <= 600; lag++) {
        let r = 0;
        for (let k = 0; k + lag < 960; k++) r += x[k]! * x[k + lag]!;
        r /= e0 * ((960 - lag) / 960);
        if (r > peak) { peak = r; lagAt = lag; }
      }
      if (peak > best) best = peak;
      if (peak > 0.6) {
        const f0 = 48000 / lagAt;
        expect(f0).toBeGreaterThan(80);
        expect(f0).toBeLessThan(200);
      }
    }
    expect(best).toBeGreaterThan(0.6);
  });

  it("stereo: right channel is the left delayed and quieter; mono and stereo agree", () => {
    const m = new SpeechLikeSource({ seed: 3 }).frameAt(40).samples;
    const st = new SpeechLikeSource({ seed: 3, channels: 2 }).frameAt(40).samples;
    expect(st.length).toBe(1920);
    for (let i = 0; i < 960; i++) expect(st[2 * i]).toBe(m[i]);
    expect(rmsDb(st.filter((_, k) => k % 2 === 1))).toBeLessThan(rmsDb(m) + 0.01);
  });

  it("noiseDbfs -Infinity gives digital silence in pauses", () => {
    const s = new SpeechLikeSource({ seed: 4, noiseDbfs: -Infinity });
    let found = false;
    for (let i = 0; i < 300; i++) {
      if (!s.isSpeech(i) && !s.isSpeech(i - 1 < 0 ? 0 : i - 1)) {
        expect(s.frameAt(i).samples.every((v) => v === 0)).toBe(true);
        found = true;
      }
    }
    expect(found).toBe(true);
  });

  it("validates options", () => {
    expect(() => new SpeechLikeSource({ pitchHz: 20 })).toThrow(/Cannot use pitchHz=20/);
    expect(() => new SpeechLikeSource({ channels: 3 as 1 })).toThrow(/channels/);
  });
});
