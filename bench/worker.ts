/**
 * The benchmark's Worker: the real API, plus one floor route that does the same I/O work as a push —
 * stream the NDJSON body, parse every line, re-serialise it and write it to R2 — without
 * authentication, schema validation, metadata, quarantine or receipts. `npm run bench` compares the two.
 */

import type { Bindings } from "../src/env";
import api from "../src/index";
import { pushLimits } from "../src/ingest/limits";
import { readRecords } from "../src/ingest/records";
import { Spool } from "../src/ingest/spool";
import { R2Sink } from "../src/storage/sink-r2";

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/bench/floor" && request.body) {
      const id = crypto.randomUUID();
      const r2 = new R2Sink(env.DATA);
      const spool = new Spool(r2, `bench/staging/${id}`);
      let n = 0;
      for await (const { value } of readRecords(request.body, "ndjson", pushLimits(env))) {
        await spool.append(`${JSON.stringify(value)}\n`);
        n++;
      }
      await spool.finish();
      await spool.deliver(r2, `bench/floor/${id}.ndjson`, {});
      return Response.json({ records: n });
    }
    return api.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Bindings>;
