/**
 * A NAT topology in network namespaces (root only), as /work/shared/interop/netns-nat.sh builds
 * it, under a prefix of the test's own so suites do not collide:
 *
 *   P-a 10.99.1.2 ── P-r (nft masquerade, 10.99.1.1 | 10.99.2.1) ── P-b 10.99.2.2 (and 10.99.2.4)
 *
 * `up`/`down` build and remove it, `blockDirect` drops UDP between the hosts (10.99.2.4 stays
 * reachable, for a TURN server), `rebind` makes the NAT switch to 10.99.2.3 and forget its
 * mappings (a path change), `available` says why it cannot run here (or undefined).
 */
import { spawnSync } from "node:child_process";

export function run(args: string[], allowFail = false): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: "utf8" });
  if (r.status !== 0 && !allowFail) throw new Error(`${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface NatTopology {
  NS: { a: string; r: string; b: string };
  inNs(ns: string, ...args: string[]): string;
  available(): string | undefined;
  up(): void;
  down(): void;
  blockDirect(on: boolean): void;
  rebind(): void;
}

export function natTopology(P: string): NatTopology {
  const NS = { a: `${P}-a`, r: `${P}-r`, b: `${P}-b` };
  const blockTable = `${P}block`;
  const inNs = (ns: string, ...args: string[]): string => run(["ip", "netns", "exec", ns, ...args]);

  function available(): string | undefined {
    if (process.platform !== "linux") return "not Linux";
    if (process.getuid?.() !== 0) return "not root";
    for (const tool of ["ip", "nft", "conntrack", "turnserver"]) {
      if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is missing`;
    }
    const probe = `${P}-probe`;
    const r = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
    if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim()}`;
    spawnSync("ip", ["netns", "del", probe]);
    return undefined;
  }

  function down(): void {
    for (const n of Object.values(NS)) spawnSync("ip", ["netns", "del", n]);
  }

  function up(): void {
    down();
    for (const n of Object.values(NS)) {
      run(["ip", "netns", "add", n]);
      run(["ip", "-n", n, "link", "set", "lo", "up"]);
    }
    run(["ip", "link", "add", `${P}-a0`, "netns", NS.a, "type", "veth", "peer", "name", `${P}-r0`, "netns", NS.r]);
    run(["ip", "link", "add", `${P}-b0`, "netns", NS.b, "type", "veth", "peer", "name", `${P}-r1`, "netns", NS.r]);
    run(["ip", "-n", NS.a, "addr", "add", "10.99.1.2/24", "dev", `${P}-a0`]);
    run(["ip", "-n", NS.a, "link", "set", `${P}-a0`, "up"]);
    run(["ip", "-n", NS.a, "route", "add", "default", "via", "10.99.1.1"]);
    run(["ip", "-n", NS.r, "addr", "add", "10.99.1.1/24", "dev", `${P}-r0`]);
    run(["ip", "-n", NS.r, "link", "set", `${P}-r0`, "up"]);
    run(["ip", "-n", NS.r, "addr", "add", "10.99.2.1/24", "dev", `${P}-r1`]);
    run(["ip", "-n", NS.r, "link", "set", `${P}-r1`, "up"]);
    run(["ip", "-n", NS.b, "addr", "add", "10.99.2.2/24", "dev", `${P}-b0`]);
    run(["ip", "-n", NS.b, "addr", "add", "10.99.2.4/24", "dev", `${P}-b0`]);
    run(["ip", "-n", NS.b, "link", "set", `${P}-b0`, "up"]);
    inNs(NS.r, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    inNs(NS.r, "nft", "add", "table", "ip", "nat");
    inNs(NS.r, "nft", "add", "chain", "ip", "nat", "post", "{ type nat hook postrouting priority srcnat; policy accept; }");
    inNs(NS.r, "nft", "add", "rule", "ip", "nat", "post", "oifname", `${P}-r1`, "masquerade");
  }

  /** nft in the router: drop UDP between the hosts both ways; the TURN server (10.99.2.4) stays reachable. */
  function blockDirect(on: boolean): void {
    spawnSync("ip", ["netns", "exec", NS.r, "nft", "delete", "table", "inet", blockTable]);
    if (on) {
      inNs(NS.r, "nft", "add", "table", "inet", blockTable);
      inNs(NS.r, "nft", "add", "chain", "inet", blockTable, "fwdblock", "{ type filter hook forward priority 0; policy accept; }");
      inNs(NS.r, "nft", "add", "rule", "inet", blockTable, "fwdblock", "ip", "saddr", "10.99.1.0/24", "ip", "daddr", "10.99.2.2", "counter", "drop");
      inNs(NS.r, "nft", "add", "rule", "inet", blockTable, "fwdblock", "ip", "saddr", "10.99.2.2", "ip", "daddr", "10.99.1.0/24", "counter", "drop");
    }
    spawnSync("ip", ["netns", "exec", NS.r, "conntrack", "-F"]);
  }

  /** The NAT switches to external address 10.99.2.3 and forgets its mappings (netns-nat.sh rebind). */
  function rebind(): void {
    spawnSync("ip", ["-n", NS.r, "addr", "add", "10.99.2.3/24", "dev", `${P}-r1`]);
    inNs(NS.r, "nft", "flush", "chain", "ip", "nat", "post");
    // Only what the NAT translates for its inside hosts (the router's own traffic keeps its address).
    inNs(NS.r, "nft", "add", "rule", "ip", "nat", "post", "ip", "saddr", "10.99.1.0/24", "oifname", `${P}-r1`, "snat", "to", "10.99.2.3");
    spawnSync("ip", ["netns", "exec", NS.r, "conntrack", "-F"]);
  }
  return { NS, inNs, available, up, down, blockDirect, rebind };
}
