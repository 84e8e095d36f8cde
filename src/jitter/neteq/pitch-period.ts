/** The result of {@link findPitchPeriod}. */
export interface PitchPeriod {
  /** The best lag in frames (samples per channel), or 0 when the search range is empty. */
  periodFrames: number;
  /** Normalized correlation at that lag, -1..1 (1: the signal repeats exactly). */
  correlation: number;
  /** RMS of the compared window (Int16 units) of the channel mix. */
  rms: number;
}

const DECIMATION = 4; // 48 kHz → 12 kHz for the coarse search

/**
 * Finds the pitch period of `x` (Int16, interleaved `channels`) by normalized autocorrelation:
 * the lag T in [minFrames, maxFrames] that maximizes corr(x[k], x[k+T]) over a window of
 * maxFrames frames from the start, so `x` must hold at least 2·maxFrames frames (the range is cut
 * down otherwise). A coarse search at 12 kHz (the mix low-passed by a 4-sample mean) is refined
 * at 48 kHz around the winner. Among near-equal coarse peaks the shortest lag wins, so a
 * periodic signal yields its period rather than a multiple of it.
 */
export function findPitchPeriod(x: Int16Array, channels: 1 | 2, minFrames: number, maxFrames: number): PitchPeriod {
  const n = Math.floor(x.length / channels);
  const maxT = Math.min(maxFrames, Math.floor(n / 2));
  const minT = Math.max(1, minFrames);
  const mono = mix(x, channels, n);
  const win = maxT;
  if (maxT < minT) return { periodFrames: 0, correlation: 0, rms: rmsOf(mono, 0, n) };
  const rms = rmsOf(mono, 0, win);

  // Coarse search on the decimated signal.
  const nd = Math.floor(n / DECIMATION);
  const d = new Float64Array(nd);
  for (let i = 0; i < nd; i++) {
    let s = 0;
    for (let j = 0; j < DECIMATION; j++) s += mono[i * DECIMATION + j]!;
    d[i] = s / DECIMATION;
  }
  const minD = Math.max(1, Math.ceil(minT / DECIMATION));
  const maxD = Math.floor(maxT / DECIMATION);
  const winD = Math.max(1, Math.floor(win / DECIMATION));
  let bestLag = 0;
  let bestC = -Infinity;
  if (maxD >= minD && maxD + winD <= nd) {
    const corr = new Float64Array(maxD + 2);
    let ea = 0;
    for (let k = 0; k < winD; k++) ea += d[k]! * d[k]!;
    let eb = 0;
    for (let k = 0; k < winD; k++) eb += d[k + minD]! * d[k + minD]!;
    for (let lag = minD; lag <= maxD; lag++) {
      if (lag > minD) {
        const out = d[lag - 1]!, inn = d[lag + winD - 1]!;
        eb += inn * inn - out * out;
      }
      let c = 0;
      for (let k = 0; k < winD; k++) c += d[k]! * d[k + lag]!;
      const den = Math.sqrt(ea * Math.max(eb, 0));
      corr[lag] = den > 0 ? c / den : 0;
    }
    let cmax = -Infinity;
    for (let lag = minD; lag <= maxD; lag++) cmax = Math.max(cmax, corr[lag]!);
    // The shortest local maximum within 3% of the best (avoids picking 2T, 3T).
    for (let lag = minD; lag <= maxD; lag++) {
      const c = corr[lag]!;
      const left = lag > minD ? corr[lag - 1]! : -Infinity;
      const right = lag < maxD ? corr[lag + 1]! : -Infinity;
      if (c >= left && c >= right && c >= cmax - 0.03 * Math.abs(cmax)) {
        bestLag = lag;
        bestC = c;
        break;
      }
    }
    if (bestLag === 0) bestLag = minD;
  } else {
    bestLag = Math.max(minD, Math.min(maxD, minD));
  }

  // Refine at full rate around DECIMATION·bestLag.
  const lo = Math.max(minT, bestLag * DECIMATION - DECIMATION);
  const hi = Math.min(maxT, bestLag * DECIMATION + DECIMATION);
  let period = 0;
  bestC = -Infinity;
  let ea = 0;
  for (let k = 0; k < win; k++) ea += mono[k]! * mono[k]!;
  for (let lag = lo; lag <= hi; lag++) {
    let c = 0, eb = 0;
    for (let k = 0; k < win; k++) {
      const b = mono[k + lag]!;
      c += mono[k]! * b;
      eb += b * b;
    }
    const den = Math.sqrt(ea * eb);
    const nc = den > 0 ? c / den : 0;
    if (nc > bestC) {
      bestC = nc;
      period = lag;
    }
  }
  return { periodFrames: period, correlation: period > 0 ? bestC : 0, rms };
}

function mix(x: Int16Array, channels: 1 | 2, n: number): Float64Array {
  const m = new Float64Array(n);
  if (channels === 1) for (let i = 0; i < n; i++) m[i] = x[i]!;
  else for (let i = 0; i < n; i++) m[i] = (x[2 * i]! + x[2 * i + 1]!) / 2;
  return m;
}

function rmsOf(m: Float64Array, from: number, count: number): number {
  if (count <= 0) return 0;
  let e = 0;
  for (let i = from; i < from + count && i < m.length; i++) e += m[i]! * m[i]!;
  return Math.sqrt(e / count);
}
