import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newApp } from "../../src/app";
import { S3Sink } from "../../src/storage/sink-s3";
import { basicAuth, createClient, createDataset, EXAMPLE_RECORD, expectProblem } from "../helpers";
import { s3Config, s3Env, s3Server } from "../setup/s3";

/** Pushes through the app with the deployment configured for the S3 sink (the loopback S3 server). */
async function pushVia(overrides: Record<string, string>, datasetId: string, auth: string, body: string) {
  const ctx = createExecutionContext();
  const res = await newApp().fetch(
    new Request(`http://x/data/json?dataset_id=${datasetId}`, {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/x-ndjson" },
      body,
    }),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

async function setup() {
  const company = `s3-${crypto.randomUUID().slice(0, 8)}`;
  const ds = await createDataset({ company_id: company });
  const client = await createClient(company, [ds.dataset_id]);
  return { ds, client, auth: basicAuth(client) };
}

describe("POST /data/json with SINK = s3", () => {
  it("writes accepted records to the S3 server with the same key layout and metadata as R2", async () => {
    const { ds, client, auth } = await setup();
    const body = `${JSON.stringify(EXAMPLE_RECORD)}\n${JSON.stringify(EXAMPLE_RECORD)}\n`;
    const res = await pushVia(s3Env(), ds.dataset_id, auth, body);
    expect(res.status, await res.clone().text()).toBe(202);
    const sub = (await res.json<any>()).data[0];
    const key = `datasets/${ds.dataset_id}/date=${sub.received_at.slice(0, 10)}/${sub.submission_id}.ndjson`;

    const stored = await new S3Sink(s3Config()).get(key);
    expect(stored).toBeDefined();
    expect(await new Response(stored!.body).text()).toBe(body);
    expect(stored!.metadata).toMatchObject({
      client_id: client.client_id,
      company_id: ds.company_id,
      schema_version: "1",
      records: "2",
      received_at: sub.received_at,
      submission_id: sub.submission_id,
    });
    expect(stored!.metadata.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Nothing of the records went to R2; the receipt (API state) did.
    expect(await env.DATA.head(key)).toBeNull();
    expect(await env.DATA.head(`receipts/${sub.submission_id}.json`)).not.toBeNull();
  });

  it("answers 503 with Retry-After and writes no receipt when the S3 server refuses connections", async () => {
    const { ds, auth } = await setup();
    const res = await pushVia(s3Env({ refusing: true }), ds.dataset_id, auth, `${JSON.stringify(EXAMPLE_RECORD)}\n`);
    const problem = await expectProblem(res, 503);
    expect(res.headers.get("Retry-After")).toBeTruthy();
    expect(JSON.stringify(problem)).not.toContain(s3Server().secretAccessKey);
    const receipts = await env.DATA.list({ prefix: "receipts/" });
    for (const object of receipts.objects) {
      const receipt = await (await env.DATA.get(object.key))!.json<{ dataset_id: string }>();
      expect(receipt.dataset_id).not.toBe(ds.dataset_id);
    }
  });

  it("answers 503 when the S3 server answers 503 (SlowDown)", async () => {
    const { ds, auth } = await setup();
    const res = await pushVia(
      s3Env({ bucket: s3Server().faultBuckets.unavailable }),
      ds.dataset_id,
      auth,
      `${JSON.stringify(EXAMPLE_RECORD)}\n`,
    );
    await expectProblem(res, 503);
  });
});
