#!/usr/bin/env node
// `npm run bench`: pushes of 1, 1,000 and 100,000 records of the example schema through the real API in
// workerd (wrangler dev), beside the floor of the same run: the same body parsed and written unvalidated.
// Prints records per second, CPU time per MB (of the workerd process, from /proc) and the ratios.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { ensureDemo } from "../scripts/demo.mjs";
import { startWranglerDev } from "../scripts/wrangler-dev.mjs";

const PORT = Number(process.env.BENCH_PORT ?? 8794);
const ADMIN = "bench-admin-token";
const RECORD = { date: "2023-05-04", "well-name": "ExampleWell 10 #1", flow_bbl_d: 7.5 };
const SIZES = [
  { records: 1, requests: 200 },
  { records: 1_000, requests: 40 },
  { records: 100_000, requests: 3 },
];

const state = ".wrangler/bench-state";
rmSync(state, { recursive: true, force: true });
const dev = startWranglerDev({ port: PORT, args: ["-c", "bench/wrangler.toml", "--persist-to", state, "--var", `ADMIN_TOKEN:${ADMIN}`] });
try {
  await dev.ready;
  const demo = await ensureDemo(dev.baseUrl, ADMIN, `${state}/demo.json`);
  const auth = `Basic ${Buffer.from(`${demo.client_id}:${demo.client_secret}`).toString("base64")}`;
  const workerd = workerdPids(dev.child.pid);
  if (workerd.length === 0) console.warn("workerd process not found: CPU figures will be 0");

  const rows = [];
  for (const { records, requests } of SIZES) {
    const body = `${JSON.stringify(RECORD)}\n`.repeat(records);
    const mb = Buffer.byteLength(body) / 1e6;
    const push = () =>
      fetch(`${dev.baseUrl}/data/json?dataset_id=${demo.dataset_id}`, {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/x-ndjson" },
        body,
      });
    const floor = () => fetch(`${dev.baseUrl}/bench/floor`, { method: "POST", body });
    // Warm both paths (isolate start, compiled schema cache), then measure them alternately.
    for (const f of [push, floor]) await check(await f(), records);
    const api = { wall: 0, cpu: 0 };
    const base = { wall: 0, cpu: 0 };
    for (let i = 0; i < requests; i++) {
      for (const [f, acc] of [
        [push, api],
        [floor, base],
      ]) {
        const cpu0 = cpuSeconds(workerd);
        const t0 = performance.now();
        await check(await f(), records);
        acc.wall += (performance.now() - t0) / 1000;
        acc.cpu += cpuSeconds(workerd) - cpu0;
      }
    }
    const row = (acc) => ({
      rps: (records * requests) / acc.wall,
      cpuMsPerMb: (acc.cpu * 1000) / (mb * requests),
      msPerRequest: (acc.wall * 1000) / requests,
    });
    rows.push({ records, requests, mb, api: row(api), floor: row(base) });
  }

  const fmt = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(
    "\nPOST /data/json (validated, stored, receipt) vs floor (parse + re-serialise + R2 write), NDJSON, workerd via wrangler dev\n",
  );
  console.log("records  requests  body MB | api rec/s   floor rec/s  ratio | api CPU ms/MB  floor CPU ms/MB  ratio | api ms/req");
  for (const r of rows) {
    console.log(
      [
        fmt(r.records).padStart(7),
        String(r.requests).padStart(9),
        fmt(r.mb, 3).padStart(8),
        "|",
        fmt(r.api.rps).padStart(10),
        fmt(r.floor.rps).padStart(13),
        `${fmt(r.floor.rps / r.api.rps, 2).padStart(6)}x`,
        "|",
        fmt(r.api.cpuMsPerMb, 1).padStart(13),
        fmt(r.floor.cpuMsPerMb, 1).padStart(16),
        `${(r.floor.cpuMsPerMb > 0 ? fmt(r.api.cpuMsPerMb / r.floor.cpuMsPerMb, 2) : "n/a").padStart(6)}x`,
        "|",
        fmt(r.api.msPerRequest, 1).padStart(10),
      ].join(" "),
    );
  }
  console.log("\nratio = how many times slower (rec/s) or costlier (CPU) the API is than the floor of the same run.");
} finally {
  await dev.stop();
}

async function check(res, records) {
  const text = await res.text();
  if (res.status !== 202 && res.status !== 200) throw new Error(`unexpected ${res.status}: ${text.slice(0, 300)}`);
  const data = JSON.parse(text);
  const n = data.records ?? data.data?.[0]?.records;
  if (n !== records) throw new Error(`expected ${records} records, got ${n}`);
}

/** workerd processes started under the wrangler process. */
function workerdPids(root) {
  try {
    const out = execFileSync("ps", ["-e", "-o", "pid=,ppid=,comm="], { encoding: "utf8" });
    const procs = out
      .trim()
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .map(([pid, ppid, comm]) => ({ pid: +pid, ppid: +ppid, comm }));
    const tree = new Set([root]);
    for (let changed = true; changed; ) {
      changed = false;
      for (const p of procs) {
        if (tree.has(p.ppid) && !tree.has(p.pid)) {
          tree.add(p.pid);
          changed = true;
        }
      }
    }
    return procs.filter((p) => tree.has(p.pid) && p.comm.includes("workerd")).map((p) => p.pid);
  } catch {
    return [];
  }
}

/** User + system CPU seconds of the given processes (Linux /proc; clock ticks are 1/100 s). */
function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks / 100;
}
