import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { CallReport, CallTimeline } from "./call-report.js";

const require = createRequire(import.meta.url);

/** uPlot (MIT) is inlined so the report is one self-contained file that opens offline. */
function uplotAssets(): { js: string; css: string } {
  const dir = require.resolve("uplot/dist/uPlot.iife.min.js").replace(/uPlot\.iife\.min\.js$/, "");
  return { js: readFileSync(`${dir}uPlot.iife.min.js`, "utf8"), css: readFileSync(`${dir}uPlot.min.css`, "utf8") };
}

interface PlotSpec {
  title: string;
  unit: string;
  series: { key: keyof CallTimeline; label: string; color: string }[];
}

const PLOTS: PlotSpec[] = [
  { title: "Bandwidth: capacity vs estimate vs sent", unit: "kbps", series: [
    { key: "capacityKbps", label: "link capacity", color: "#7f7f7f" },
    { key: "estimateKbps", label: "sender's estimate", color: "#d62728" },
    { key: "sentKbps", label: "sent (all packets)", color: "#1f77b4" },
  ] },
  { title: "Bottleneck queue delay (mean per second)", unit: "ms", series: [{ key: "queueDelayMs", label: "queue wait", color: "#8c564b" }] },
  { title: "Video format the senders chose", unit: "px / fps", series: [
    { key: "videoHeight", label: "height (px)", color: "#9467bd" },
    { key: "videoFpsTarget", label: "frame rate (fps)", color: "#bcbd22" },
  ] },
  { title: "Bitrate sent", unit: "kbps", series: [
    { key: "videoKbps", label: "video", color: "#1f77b4" },
    { key: "audioKbps", label: "audio", color: "#ff7f0e" },
  ] },
  { title: "Packet loss", unit: "%", series: [
    { key: "wireLossPct", label: "on the wire", color: "#d62728" },
    { key: "residualLossPct", label: "after recovery", color: "#9467bd" },
  ] },
  { title: "Recovery", unit: "packets/s", series: [
    { key: "retransmittedPerS", label: "video packets retransmitted (RTX used)", color: "#2ca02c" },
    { key: "fecRecoveredPerS", label: "video packets recovered by FEC", color: "#1f77b4" },
    { key: "audioFecFramesPerS", label: "audio frames from Opus in-band FEC", color: "#ff7f0e" },
  ] },
  { title: "Concealment and freezes", unit: "% / ms", series: [
    { key: "concealedPct", label: "audio concealed (%)", color: "#ff7f0e" },
    { key: "freezeMs", label: "video frozen (ms in the second)", color: "#d62728" },
  ] },
  { title: "Capture-to-render latency (median per second)", unit: "ms", series: [
    { key: "videoLatencyMs", label: "video", color: "#1f77b4" },
    { key: "audioLatencyMs", label: "audio", color: "#ff7f0e" },
  ] },
  { title: "Jitter buffer delay", unit: "ms", series: [
    { key: "jitterBufferMs", label: "video playout", color: "#2ca02c" },
    { key: "audioBufferMs", label: "audio buffered", color: "#8c564b" },
    { key: "rttMs", label: "RTT (RTCP)", color: "#7f7f7f" },
  ] },
  { title: "Video quality", unit: "dB PSNR", series: [{ key: "psnrDb", label: "PSNR (Y)", color: "#17becf" }] },
  { title: "Decoded frame rate", unit: "fps", series: [{ key: "fps", label: "fps", color: "#bcbd22" }] },
];

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits);
}

/** The summary table of an emulated call. */
export function callSummaryRows(r: CallReport): [string, string][] {
  const rows: [string, string][] = [];
  if (r.video) {
    const v = r.video;
    rows.push(
      ["Video", `${v.codec.toUpperCase()} ${v.width}x${v.height}, ${fmt(v.bitrateKbps, 0)} kbps, ${fmt(v.fpsDecoded)} fps decoded`],
      ["Video frames sent / decoded", `${v.framesSent} / ${v.framesDecoded}`],
      ["Video latency p50 / p95 / p99", `${fmt(v.latencyMs.p50)} / ${fmt(v.latencyMs.p95)} / ${fmt(v.latencyMs.p99)} ms`],
      ["PSNR mean / 5th percentile", `${fmt(v.psnrDb.mean, 2)} / ${fmt(v.psnrDb.p5, 2)} dB`],
      ["Freezes", `${v.freeze.count}, ${fmt(v.freeze.totalMs, 0)} ms (${fmt(v.freeze.percentOfCall, 2)}% of the call)`],
      ["Video packets sent / lost on wire / lost after recovery", `${v.packets.sent} / ${v.packets.lostOnWire} / ${v.packets.lostAfterRecovery}`],
    );
  }
  if (r.audio) {
    const a = r.audio;
    rows.push(
      ["Audio", `Opus ${fmt(a.bitrateKbps, 1)} kbps`],
      ["Audio frames sent / decoded / concealed", `${a.framesSent} / ${a.framesDecoded} / ${a.framesConcealed} (${fmt(a.concealedPct, 2)}%)`],
      ["Audio latency p50 / p95 / p99", `${fmt(a.latencyMs.p50)} / ${fmt(a.latencyMs.p95)} / ${fmt(a.latencyMs.p99)} ms`],
      ["Audio packets sent / lost on wire / lost after recovery", `${a.packets.sent} / ${a.packets.lostOnWire} / ${a.packets.lostAfterRecovery}`],
    );
  }
  rows.push(
    ["RTT (RTCP)", `${fmt(r.rtcp.rttMs)} ms`],
    ["CPU / peak memory", `${fmt(r.cpu.percentOfOneCore)}% of one core, ${fmt(r.cpu.peakRssMb, 0)} MB RSS`],
    ["Run", `${fmt(r.durationS)} s call in ${fmt(r.wallTimeS, 2)} s wall time (${r.realtime ? "real time" : "virtual clock"})`],
  );
  return rows;
}

/** What the page needs: when, with which options, the per-second series (any subset), and its summary rows. */
export type ReportHtmlInput = Pick<CallReport, "startedAt" | "options"> & { timeline: Partial<CallTimeline> & { t: number[] } };

/**
 * Renders a report as one self-contained HTML page: a summary table and plots over time. The
 * rows default to an emulated call's summary (then `report` is a whole CallReport).
 */
export function renderReportHtml(report: ReportHtmlInput, rows: [string, string][] = callSummaryRows(report as CallReport)): string {
  const { js, css } = uplotAssets();
  const data = JSON.stringify({ timeline: report.timeline, plots: PLOTS }).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rtcpipe call report</title>
<style>${css}
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
table{border-collapse:collapse;margin-bottom:24px}th,td{text-align:left;padding:3px 12px;border-bottom:1px solid #eee}
th{font-weight:600}code{word-break:break-all}h2{font-size:16px;margin:24px 0 4px}pre{background:#f6f6f6;padding:8px;overflow:auto}</style>
</head><body>
<h1>rtcpipe call report</h1>
<p>${escapeHtml(report.startedAt)} · options: <code>${escapeHtml(JSON.stringify(report.options))}</code></p>
<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("\n")}</table>
<div id="plots"></div>
<script>${js}</script>
<script>
const {timeline, plots} = ${data};
const el = document.getElementById("plots");
for (const p of plots) {
  const present = p.series.filter(s => (timeline[s.key] || []).some(v => v !== null && !Number.isNaN(v)));
  if (present.length === 0) continue;
  const h = document.createElement("h2"); h.textContent = p.title + " (" + p.unit + ")"; el.appendChild(h);
  const div = document.createElement("div"); el.appendChild(div);
  const data = [timeline.t, ...present.map(s => timeline[s.key].map(v => v === null || Number.isNaN(v) ? null : v))];
  new uPlot({ width: 960, height: 220, scales: { x: { time: false } },
    axes: [{ label: "seconds" }, { label: p.unit }],
    series: [{ label: "t (s)" }, ...present.map(s => ({ label: s.label, stroke: s.color, width: 1.5 }))] }, data, div);
}
</script>
</body></html>
`;
}
