#!/usr/bin/env node
// Builds libvpx (VP8 + VP9) and libopus to WebAssembly with our C wrappers (native/), from
// Debian's source packages with Debian's emscripten, per /work/shared/codecs.md.
//
//   node scripts/build-codecs.mjs [--force] [--refresh]
//     --force    ignore every cache and rebuild from source
//     --refresh  re-resolve the Debian source versions now (otherwise remembered for 24 h)
//
// Output: build/codecs/{vpx.mjs,vpx.wasm,opus.mjs,opus.wasm,manifest.json}.
// Cache:  ${XDG_CACHE_HOME:-$HOME/.cache}/rtcpipe/codecs/
//           libs-<key>/   static libraries + headers   key = (source versions, lib flags, emcc)
//           <key>/        linked modules               key = (lib key, link flags, wrappers, this script)
// Sources: Debian's `libvpx` and `opus` source packages fetched through a PRIVATE apt source
// list in a temp dir (the system's apt configuration is never touched), verified against the
// signed archive index; or local trees given in LIBVPX_SRC / OPUS_SRC.

import { spawnSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT_DIR = path.join(ROOT, "build", "codecs");
const NATIVE_DIR = path.join(ROOT, "native");
const CACHE_ROOT = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "rtcpipe", "codecs");
const ARGS = new Set(process.argv.slice(2));
const FORCE = ARGS.has("--force");
const REFRESH = ARGS.has("--refresh");
const JOBS = String(Math.max(1, Math.min(os.cpus().length, 8)));
const T0 = Date.now();

/** Release flags: -Oz measured ~2x slower (codecs.md), so -O3 with SIMD. */
const OPT_FLAGS = "-O3 -msimd128";
const VPX_CONFIGURE = [
  "--target=generic-gnu", "--disable-multithread", "--disable-examples", "--disable-tools",
  "--disable-docs", "--disable-unit-tests", "--disable-webm-io", "--disable-libyuv",
  "--enable-realtime-only", "--disable-vp9-highbitdepth", "--disable-runtime-cpu-detect",
  "--enable-static", "--disable-shared", `--extra-cflags=${OPT_FLAGS}`,
];
const OPUS_CONFIGURE = [
  "--host=wasm32", "--disable-extra-programs", "--disable-doc", "--disable-rtcd",
  "--disable-intrinsics", "--disable-shared", "--enable-static", `CFLAGS=${OPT_FLAGS}`,
];
const LINK_FLAGS = [
  ...OPT_FLAGS.split(" "), "-sMODULARIZE=1", "-sEXPORT_ES6=1", "-sENVIRONMENT=node",
  "-sALLOW_MEMORY_GROWTH=1", "-sINITIAL_MEMORY=33554432", "-sTOTAL_STACK=1048576",
  "-sFILESYSTEM=0", "-sNODEJS_CATCH_EXIT=0", "-sNODEJS_CATCH_REJECTION=0", "-sEXPORTED_RUNTIME_METHODS=[]", "-sINCOMING_MODULE_JS_API=[wasmBinary,instantiateWasm,print,printErr]",
];
const MODULES = {
  vpx: { wrapper: "vpx_wrapper.c", exportName: "createVpxModule", prefix: "rp_vpx_" },
  opus: { wrapper: "opus_wrapper.c", exportName: "createOpusModule", prefix: "rp_opus_" },
};

function log(msg) {
  const s = ((Date.now() - T0) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[build-codecs ${s}s] ${msg}\n`);
}

function fail(msg) {
  process.stderr.write(`\nbuild-codecs: Cannot build the WASM codecs: ${msg}\n`);
  process.exit(1);
}

function sha256(data) {
  return createHash("sha256").update(data).digest("hex");
}

function which(cmd) {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Environment for emscripten tools: Debian's emscripten needs NODE_PATH to find acorn, and
 * runs binaryen's tools (wasm-opt, wasm-metadce) from PATH. Under `npm install` PATH starts
 * with node_modules/.bin, where AssemblyScript's binaryen puts a newer wasm-opt whose import
 * minification does not match what emscripten 3.1.6 writes into the JS glue ("LinkError:
 * function import requires a callable"): keep node_modules out of emscripten's PATH.
 */
function emEnv() {
  const np = process.env.NODE_PATH ? `${process.env.NODE_PATH}:/usr/share/nodejs` : "/usr/share/nodejs";
  const pathDirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d && !d.split(path.sep).includes("node_modules"));
  return { ...process.env, NODE_PATH: np, PATH: pathDirs.join(path.delimiter) };
}

/** Runs a command synchronously; returns stdout; fails with its output on non-zero exit. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, env: emEnv(), ...opts });
  if (r.error) fail(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-30).join("\n");
    fail(`\`${cmd} ${args.join(" ")}\` exited with ${r.status}:\n${out}`);
  }
  return r.stdout ?? "";
}

/** Runs a long command with its output going to a log file; prints a heartbeat. */
function runLogged(label, cmd, args, cwd, logFile) {
  return new Promise((resolve) => {
    const fd = fs.openSync(logFile, "a");
    fs.writeSync(fd, `\n$ ${cmd} ${args.join(" ")}\n`);
    const child = spawn(cmd, args, { cwd, env: emEnv(), stdio: ["ignore", fd, fd] });
    const started = Date.now();
    const beat = setInterval(() => log(`  ${label}: still running (${Math.round((Date.now() - started) / 1000)} s)`), 20_000);
    child.on("error", (e) => fail(`${cmd} could not start: ${e.message}`));
    child.on("exit", (code) => {
      clearInterval(beat);
      fs.closeSync(fd);
      if (code !== 0) {
        const tail = fs.readFileSync(logFile, "utf8").trim().split("\n").slice(-30).join("\n");
        fail(`${label} failed (exit ${code}); last lines of ${logFile}:\n${tail}`);
      }
      resolve();
    });
  });
}

function isDebianRoot() {
  return fs.existsSync("/etc/debian_version") && process.getuid?.() === 0 && which("apt-get") !== null;
}

/** Makes sure emcc (and dpkg-source when Debian sources are used) exist; installs on Debian as root. */
function ensureTools(needDebianSources) {
  const need = [];
  if (!which("emcc") || !which("emconfigure") || !which("emmake")) need.push(["emcc", "emscripten"]);
  if (!which("make")) need.push(["make", "make"]);
  if (needDebianSources && !which("dpkg-source")) need.push(["dpkg-source", "dpkg-dev"]);
  if (needDebianSources && !which("apt-get")) {
    fail("apt-get is missing, so Debian's source packages cannot be fetched.\n" +
      "  Give local source trees instead: LIBVPX_SRC=/path/to/libvpx-1.12.0 OPUS_SRC=/path/to/opus-1.3.1 npm run build:codecs");
  }
  if (need.length === 0) return;
  const pkgs = [...new Set(need.map(([, p]) => p))];
  if (isDebianRoot()) {
    log(`installing ${pkgs.join(" ")} with apt-get (missing: ${need.map(([c]) => c).join(", ")})`);
    const apt = ["-o", "DPkg::Lock::Timeout=300", "-q"];
    run("apt-get", [...apt, "update"], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    run("apt-get", [...apt, "install", "-y", "--no-install-recommends", ...pkgs], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    return;
  }
  fail(`missing ${need.map(([c]) => c).join(", ")}.\n` +
    `  On Debian/Ubuntu: sudo apt-get install ${pkgs.join(" ")}\n` +
    "  Elsewhere: install Emscripten 3.1.x (https://emscripten.org/docs/getting_started/downloads.html), make,\n" +
    "  and point LIBVPX_SRC / OPUS_SRC at libvpx 1.12 and opus 1.3 source trees.");
}

// ---------------------------------------------------------------------------------------------
// Sources

/** A private apt configuration: our own deb-src list and lists dir inside `dir`. */
function privateApt(dir) {
  const parts = path.join(dir, "sources.list.d");
  const lists = path.join(dir, "lists");
  fs.mkdirSync(path.join(lists, "partial"), { recursive: true });
  fs.mkdirSync(parts, { recursive: true });
  let text = "";
  const sys = "/etc/apt/sources.list.d/debian.sources";
  if (fs.existsSync(sys)) {
    text = fs.readFileSync(sys, "utf8").replace(/^Types:.*$/gm, "Types: deb-src");
    fs.writeFileSync(path.join(parts, "rtcpipe-src.sources"), text);
  } else if (fs.existsSync("/etc/apt/sources.list")) {
    text = fs.readFileSync("/etc/apt/sources.list", "utf8").split("\n")
      .filter((l) => /^\s*deb\s/.test(l)).map((l) => l.replace(/^\s*deb\s/, "deb-src ")).join("\n");
    fs.writeFileSync(path.join(parts, "rtcpipe-src.list"), `${text}\n`);
  }
  if (!text.trim()) fail("found no Debian apt source (/etc/apt/sources.list.d/debian.sources) to derive deb-src from; set LIBVPX_SRC / OPUS_SRC");
  const opts = ["-q", "-o", "Dir::Etc::SourceList=/dev/null", "-o", `Dir::Etc::SourceParts=${parts}`,
    "-o", `Dir::State::Lists=${lists}`, "-o", "APT::Sandbox::User=root"];
  return opts;
}

/** Resolves the Debian source versions: {libvpx: {version, files:[{url,name,size,sha256}]}, opus: ...}. */
function resolveDebianSources(aptDir) {
  const memo = path.join(CACHE_ROOT, "debian-sources.json");
  if (!REFRESH && !FORCE && fs.existsSync(memo)) {
    const m = JSON.parse(fs.readFileSync(memo, "utf8"));
    if (Date.now() - m.resolvedAtMs < 24 * 3600 * 1000) return m.packages;
  }
  log("resolving Debian source package versions (private apt source list)");
  const opts = privateApt(aptDir);
  const r = spawnSync("apt-get", [...opts, "update"], { encoding: "utf8" });
  if (r.status !== 0) {
    if (fs.existsSync(memo)) {
      log("apt-get update failed (offline?); using the versions resolved last time");
      return JSON.parse(fs.readFileSync(memo, "utf8")).packages;
    }
    fail(`apt-get update with the private deb-src list failed:\n${r.stderr}`);
  }
  const packages = {};
  for (const pkg of ["libvpx", "opus"]) {
    const out = run("apt-get", [...opts, "source", "--print-uris", pkg], { cwd: aptDir });
    const files = [];
    for (const line of out.split("\n")) {
      const m = /^'([^']+)'\s+(\S+)\s+(\d+)\s+SHA256:([0-9a-f]{64})/.exec(line);
      if (m) files.push({ url: m[1], name: m[2], size: Number(m[3]), sha256: m[4] });
    }
    const dsc = files.find((f) => f.name.endsWith(".dsc"));
    if (!dsc) fail(`apt-get source --print-uris ${pkg} listed no .dsc:\n${out}`);
    const version = dsc.name.slice(pkg.length + 1, -4);
    packages[pkg] = { version, files };
  }
  fs.mkdirSync(CACHE_ROOT, { recursive: true });
  fs.writeFileSync(memo, JSON.stringify({ resolvedAtMs: Date.now(), packages }, null, 2));
  return packages;
}

/** Downloads one source package with the private apt list, verifies it, and unpacks it. */
function fetchDebianSource(aptDir, pkg, info, workDir) {
  const opts = privateApt(aptDir);
  if (!fs.existsSync(path.join(aptDir, "lists", "lock"))) run("apt-get", [...opts, "update"]);
  const dl = path.join(workDir, "dl");
  fs.mkdirSync(dl, { recursive: true });
  log(`downloading ${pkg} ${info.version} (Debian source package)`);
  run("apt-get", [...opts, "source", "--download-only", `${pkg}=${info.version}`], { cwd: dl });
  // Verify 1: every file against the SHA-256 of the archive's signed Sources index (apt checked
  // InRelease's signature; --print-uris gave us the index hashes).
  for (const f of info.files) {
    const p = path.join(dl, f.name);
    if (!fs.existsSync(p)) fail(`${f.name} was not downloaded`);
    const got = sha256(fs.readFileSync(p));
    if (got !== f.sha256) fail(`${f.name}: SHA-256 ${got} differs from the archive index's ${f.sha256}`);
  }
  // Verify 2: the .dsc's own Checksums-Sha256 list (what dpkg-source also checks).
  const dscFile = info.files.find((f) => f.name.endsWith(".dsc")).name;
  const dsc = fs.readFileSync(path.join(dl, dscFile), "utf8");
  if (!dsc.includes("-----BEGIN PGP SIGNED MESSAGE-----")) fail(`${dscFile} is not signed`);
  const block = /Checksums-Sha256:\n((?: .+\n)+)/.exec(dsc);
  if (!block) fail(`${dscFile} has no Checksums-Sha256`);
  for (const line of block[1].trim().split("\n")) {
    const [sum, , name] = line.trim().split(/\s+/);
    const got = sha256(fs.readFileSync(path.join(dl, name)));
    if (got !== sum) fail(`${name}: SHA-256 ${got} differs from ${dscFile}'s ${sum}`);
  }
  log(`  verified ${info.files.length} files of ${pkg} (archive index + .dsc checksums)`);
  const src = path.join(workDir, `${pkg}-src`);
  run("dpkg-source", ["-x", path.join(dl, dscFile), src]);
  return src;
}

/** Version of a local source tree, for the cache key. */
function localVersion(pkg, dir) {
  if (!fs.existsSync(dir)) fail(`${pkg === "libvpx" ? "LIBVPX_SRC" : "OPUS_SRC"}=${dir} does not exist`);
  let v = "unknown";
  try {
    if (pkg === "libvpx") v = /v(\d+\.\d+\.\d+)/.exec(fs.readFileSync(path.join(dir, "CHANGELOG"), "utf8"))?.[1] ?? v;
    else v = fs.readFileSync(path.join(dir, "package_version"), "utf8").match(/PACKAGE_VERSION="?([^"\n]+)/)?.[1] ?? v;
  } catch {
    /* keep unknown */
  }
  return `local:${v}:${path.resolve(dir)}`;
}

// ---------------------------------------------------------------------------------------------
// Build steps

async function buildLibs(libDir, sources, aptDir, workDir) {
  const srcVpx = sources.libvpx.dir ?? fetchDebianSource(aptDir, "libvpx", sources.libvpx, workDir);
  const srcOpus = sources.opus.dir ?? fetchDebianSource(aptDir, "opus", sources.opus, workDir);
  const logFile = path.join(workDir, "build.log");
  const bVpx = path.join(workDir, "build-vpx");
  const bOpus = path.join(workDir, "build-opus");
  fs.mkdirSync(bVpx, { recursive: true });
  fs.mkdirSync(bOpus, { recursive: true });
  log(`configuring libvpx and opus (emconfigure; log: ${logFile})`);
  // Opus' configure may need to write into its tree only if it lacks `configure`.
  if (!fs.existsSync(path.join(srcOpus, "configure"))) fail(`${srcOpus} has no configure script (run autogen.sh there)`);
  await Promise.all([
    runLogged("libvpx configure", "emconfigure", [path.join(srcVpx, "configure"), ...VPX_CONFIGURE], bVpx, `${logFile}.vpx`),
    runLogged("opus configure", "emconfigure", [path.join(srcOpus, "configure"), ...OPUS_CONFIGURE], bOpus, `${logFile}.opus`),
  ]);
  log(`compiling libvpx (VP8+VP9, make -j${JOBS}) ...`);
  await runLogged("libvpx make", "emmake", ["make", `-j${JOBS}`, "libvpx.a"], bVpx, `${logFile}.vpx`);
  log(`compiling opus (make -j${JOBS}) ...`);
  await runLogged("opus make", "emmake", ["make", `-j${JOBS}`, "libopus.la"], bOpus, `${logFile}.opus`);
  const tmpLib = `${libDir}.tmp-${process.pid}`;
  fs.rmSync(tmpLib, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmpLib, "include", "vpx"), { recursive: true });
  fs.mkdirSync(path.join(tmpLib, "include", "opus"), { recursive: true });
  fs.copyFileSync(path.join(bVpx, "libvpx.a"), path.join(tmpLib, "libvpx.a"));
  fs.copyFileSync(path.join(bOpus, ".libs", "libopus.a"), path.join(tmpLib, "libopus.a"));
  for (const h of fs.readdirSync(path.join(srcVpx, "vpx")).filter((f) => f.endsWith(".h"))) {
    fs.copyFileSync(path.join(srcVpx, "vpx", h), path.join(tmpLib, "include", "vpx", h));
  }
  for (const h of fs.readdirSync(path.join(srcOpus, "include")).filter((f) => f.endsWith(".h"))) {
    fs.copyFileSync(path.join(srcOpus, "include", h), path.join(tmpLib, "include", "opus", h));
  }
  fs.writeFileSync(path.join(tmpLib, "versions.json"), JSON.stringify({
    libvpx: sources.libvpx.version, opus: sources.opus.version, flags: OPT_FLAGS,
  }, null, 2));
  fs.rmSync(libDir, { recursive: true, force: true });
  fs.renameSync(tmpLib, libDir);
}

async function linkModule(name, libDir, outDir, logFile) {
  const m = MODULES[name];
  const wrapper = path.join(NATIVE_DIR, m.wrapper);
  const src = fs.readFileSync(wrapper, "utf8");
  const fns = [...src.matchAll(/^RP_EXPORT\s+[\w\s*]+?\b(rp_\w+)\s*\(/gm)].map((x) => `_${x[1]}`);
  if (fns.length === 0) fail(`${m.wrapper} exports no RP_EXPORT functions`);
  const exported = JSON.stringify([...fns, "_malloc", "_free"]);
  log(`linking ${name}.mjs + ${name}.wasm (${fns.length} wrapper functions)`);
  await runLogged(`link ${name}`, "emcc", [
    wrapper, path.join(libDir, name === "vpx" ? "libvpx.a" : "libopus.a"),
    `-I${path.join(libDir, "include")}`, `-I${path.join(libDir, "include", name === "vpx" ? "vpx" : "opus")}`,
    ...LINK_FLAGS, `-sEXPORT_NAME=${m.exportName}`, `-sEXPORTED_FUNCTIONS=${exported}`,
    "-o", path.join(outDir, `${name}.mjs`),
  ], outDir, logFile);
  // The generated Node/ESM glue in emscripten 3.1.6 uses require/__dirname, which do not exist
  // in an ES module: give it both. Our loader passes wasmBinary, so nothing is fetched.
  const js = path.join(outDir, `${name}.mjs`);
  const glue = fs.readFileSync(js, "utf8");
  const shim = 'import { createRequire as __rpCreateRequire } from "node:module";\n' +
    "const require = __rpCreateRequire(import.meta.url);\n" +
    'const __dirname = new URL(".", import.meta.url).pathname;\n' +
    'const __filename = new URL(import.meta.url).pathname;\n';
  fs.writeFileSync(js, shim + glue);
}

/** Instantiates a linked module as the loader does; undefined when it loads, else the error. */
async function loadProblem(dir, name) {
  try {
    const glue = await import(`${pathToFileURL(path.join(dir, `${name}.mjs`)).href}?check=${Date.now()}`);
    await glue.default({ wasmBinary: fs.readFileSync(path.join(dir, `${name}.wasm`)), print: () => {}, printErr: () => {} });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const localVpx = process.env.LIBVPX_SRC;
  const localOpus = process.env.OPUS_SRC;
  const needDebian = !(localVpx && localOpus);
  ensureTools(needDebian);
  const emccVersion = run("emcc", ["--version"]).split("\n")[0].trim();
  log(`emcc: ${emccVersion}`);
  fs.mkdirSync(CACHE_ROOT, { recursive: true });

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "rtcpipe-codecs-"));
  const aptDir = path.join(workDir, "apt");
  fs.mkdirSync(aptDir, { recursive: true });
  if (process.getuid?.() === 0) {
    // Let apt's unprivileged downloader write here.
    try { fs.chmodSync(workDir, 0o755); } catch { /* ignore */ }
  }
  try {
    const sources = {};
    const deb = needDebian ? resolveDebianSources(aptDir) : {};
    sources.libvpx = localVpx ? { version: localVersion("libvpx", localVpx), dir: localVpx } : deb.libvpx;
    sources.opus = localOpus ? { version: localVersion("opus", localOpus), dir: localOpus } : deb.opus;
    log(`sources: libvpx ${sources.libvpx.version}, opus ${sources.opus.version}`);

    const libKey = sha256(JSON.stringify({
      vpx: sources.libvpx.version, opus: sources.opus.version, VPX_CONFIGURE, OPUS_CONFIGURE, emccVersion,
    })).slice(0, 16);
    const wrapperHash = sha256(Object.values(MODULES).map((m) => fs.readFileSync(path.join(NATIVE_DIR, m.wrapper))).join("\0"));
    const scriptHash = sha256(fs.readFileSync(fileURLToPath(import.meta.url)));
    const key = sha256(JSON.stringify({ libKey, LINK_FLAGS, wrapperHash, scriptHash })).slice(0, 16);
    const finalDir = path.join(CACHE_ROOT, key);
    const libDir = path.join(CACHE_ROOT, `libs-${libKey}`);

    if (!FORCE && fs.existsSync(path.join(finalDir, "manifest.json"))) {
      log(`cache hit ${finalDir}`);
    } else {
      if (FORCE || !fs.existsSync(path.join(libDir, "versions.json"))) {
        log(`building static libraries from source (cold build, ~2-3 min on 2 cores) -> ${libDir}`);
        await buildLibs(libDir, sources, aptDir, workDir);
      } else {
        log(`static libraries cached: ${libDir}`);
      }
      const tmpOut = `${finalDir}.tmp-${process.pid}`;
      fs.rmSync(tmpOut, { recursive: true, force: true });
      fs.mkdirSync(tmpOut, { recursive: true });
      const linkLog = path.join(workDir, "link.log");
      // One link at a time, each checked by loading it: glue whose import names do not match
      // the wasm ("LinkError: function import requires a callable", see emEnv) is never cached.
      for (const name of ["vpx", "opus"]) {
        for (let attempt = 1; ; attempt++) {
          await linkModule(name, libDir, tmpOut, `${linkLog}.${name}`);
          const problem = await loadProblem(tmpOut, name);
          if (problem === undefined) break;
          if (attempt === 2) fail(`${name}.mjs and ${name}.wasm do not load together after two links: ${problem} (log: ${linkLog}.${name})`);
          log(`  ${name}: the linked module does not load (${problem}); linking again`);
        }
      }
      const files = {};
      for (const f of fs.readdirSync(tmpOut)) files[f] = { sizeBytes: fs.statSync(path.join(tmpOut, f)).size };
      fs.writeFileSync(path.join(tmpOut, "manifest.json"), JSON.stringify({
        key, libvpx: sources.libvpx.version, opus: sources.opus.version, emcc: emccVersion,
        optFlags: OPT_FLAGS, builtAt: new Date().toISOString(), files,
      }, null, 2));
      fs.rmSync(finalDir, { recursive: true, force: true });
      fs.renameSync(tmpOut, finalDir);
    }
    fs.rmSync(OUT_DIR, { recursive: true, force: true });
    fs.mkdirSync(OUT_DIR, { recursive: true });
    for (const f of fs.readdirSync(finalDir)) fs.copyFileSync(path.join(finalDir, f), path.join(OUT_DIR, f));
    const manifest = JSON.parse(fs.readFileSync(path.join(OUT_DIR, "manifest.json"), "utf8"));
    const sizes = Object.entries(manifest.files).map(([f, s]) => `${f} ${(s.sizeBytes / 1024).toFixed(0)} KiB`).join(", ");
    log(`done: build/codecs/ (${sizes})`);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((e) => fail(e instanceof Error ? e.stack ?? e.message : String(e)));
