#!/usr/bin/env node
// `npm run dev`: local secrets, `wrangler dev` with local KV/R2/queue state, and a demo to try.
import { ensureDemo } from "./demo.mjs";
import { ensureLocalSecrets } from "./local-secrets.mjs";
import { startWranglerDev } from "./wrangler-dev.mjs";

const port = Number(process.env.PORT ?? 8787);
const secrets = ensureLocalSecrets();
const dev = startWranglerDev({ port, echo: true });
const shutdown = async () => {
  await dev.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

try {
  await dev.ready;
  const demo = await ensureDemo(dev.baseUrl, secrets.ADMIN_TOKEN);
  const base = `http://localhost:${port}`;
  console.log(`
──────────────────────────────────────────────────────────────────────────────
 Data API running on ${base}
   API docs:      ${base}/docs
   Admin token:   ${secrets.ADMIN_TOKEN}   (in .dev.vars)

 Demo company "${demo.company_id}", dataset (format csv, the example schema) and a client granted to it.
 Paste these into the shell where you follow the README walkthrough:

export API=${base}
export ADMIN_TOKEN=${secrets.ADMIN_TOKEN}
export CLIENT_ID=${demo.client_id}
export CLIENT_SECRET=${demo.client_secret}
export DATASET_ID=${demo.dataset_id}
──────────────────────────────────────────────────────────────────────────────
`);
} catch (e) {
  console.error(String(e instanceof Error ? e.message : e));
  await dev.stop();
  process.exit(1);
}
