/**
 * Helpers for the file-upload tests: a dataset with a granted client, an upload URL, the PUT of a
 * file to it (through the Worker, like curl would), and waiting for the file's status.
 */

import { createExecutionContext, createMessageBatch, getQueueResult, type QueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { newApp } from "../../src/app";
import type { Bindings } from "../../src/env";
import worker from "../../src/index";
import type { FileQueueMessage } from "../../src/queue/messages";
import { basicAuth, call, createClient, createDataset, EXAMPLE_SCHEMA, type TestClient } from "../helpers";

export interface UploadParty {
  company_id: string;
  dataset_id: string;
  client: TestClient;
  auth: string;
}

/** A fresh company with one dataset of `format` and a client granted it. */
export async function uploadParty(format: "csv" | "json" | "ndjson", schema: unknown = EXAMPLE_SCHEMA): Promise<UploadParty> {
  const company_id = `up-${crypto.randomUUID().slice(0, 12)}`;
  const dataset = await createDataset({ company_id, format, schema, name: `${format}-wells` });
  const client = await createClient(company_id, [dataset.dataset_id]);
  return { company_id, dataset_id: dataset.dataset_id, client, auth: basicAuth(client) };
}

export interface UploadUri {
  file_id: string;
  uri: string;
  method: string;
  headers: Record<string, string>;
  expires_at: string;
  file_name: string;
}

export async function uploadUrlResponse(party: UploadParty, query: Record<string, string>): Promise<Response> {
  const params = new URLSearchParams({ dataset_id: party.dataset_id, ...query });
  return call(`/data/file_upload_url?${params}`, { headers: { Authorization: party.auth } });
}

export async function uploadUrl(party: UploadParty, query: Record<string, string>): Promise<UploadUri> {
  const res = await uploadUrlResponse(party, query);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  const body = JSON.parse(text) as { meta: { type: string }; data: UploadUri[] };
  expect(body.meta.type).toBe("FileUploadUri");
  return body.data[0]!;
}

/** PUTs bytes to a presigned worker-backend URI (through the whole Worker), with the given headers. */
export function putFile(uri: string, body: BodyInit | null, headers: Record<string, string>, method = "PUT"): Promise<Response> {
  const url = new URL(uri);
  return call(`${url.pathname}${url.search}`, { method, headers, body });
}

export function sizeOf(body: string | Uint8Array): number {
  return typeof body === "string" ? new TextEncoder().encode(body).byteLength : body.byteLength;
}

/** Uploads `body` with exactly the headers the URL asks for (plus its Content-Length). */
export async function upload(target: UploadUri, body: string | Uint8Array): Promise<Response> {
  return putFile(target.uri, body, { ...target.headers, "Content-Length": String(sizeOf(body)) });
}

export interface FileStatusBody {
  file_id: string;
  dataset_id: string;
  file_name: string;
  status: string;
  rows: number;
  accepted: number;
  rejected: number;
  errors: Array<{ record: number; path: string; keyword: string; message: string }>;
  errors_truncated: boolean;
  reason?: string;
  chunks: number;
  [key: string]: unknown;
}

export async function fileStatus(party: { auth: string }, fileId: string): Promise<FileStatusBody> {
  const res = await call(`/data/files/${fileId}`, { headers: { Authorization: party.auth } });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return (JSON.parse(text) as { data: FileStatusBody[] }).data[0]!;
}

/** Polls the status until it is one of `statuses` (the real queue delivers in the background). */
export async function waitForStatus(
  party: { auth: string },
  fileId: string,
  statuses: string[] = ["succeeded", "failed"],
  timeoutMs = 25_000,
): Promise<FileStatusBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fileStatus(party, fileId);
    if (statuses.includes(status.status)) return status;
    if (Date.now() > deadline) throw new Error(`file ${fileId} still ${status.status} after ${timeoutMs} ms: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every accepted record stored for a file, in key order, from the DATA bucket. */
export async function storedRecords(
  datasetId: string,
  fileId?: string,
): Promise<{ keys: string[]; records: unknown[]; metadata: Array<Record<string, string>> }> {
  const keys: string[] = [];
  const records: unknown[] = [];
  const metadata: Array<Record<string, string>> = [];
  let cursor: string | undefined;
  do {
    const page = await env.DATA.list({ prefix: `datasets/${datasetId}/`, cursor, include: ["customMetadata"] });
    for (const object of page.objects) {
      if (fileId !== undefined && object.customMetadata?.file_id !== fileId) continue;
      keys.push(object.key);
      metadata.push(object.customMetadata ?? {});
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  // Chunks in order: by their chunk number.
  const order = keys.map((k, i) => ({ k, m: metadata[i]!, i })).sort((a, b) => Number(a.m.file_chunk ?? 0) - Number(b.m.file_chunk ?? 0));
  for (const { k } of order) {
    const object = await env.DATA.get(k);
    const text = await object!.text();
    for (const line of text.split("\n")) if (line !== "") records.push(JSON.parse(line));
  }
  return { keys: order.map((o) => o.k), records, metadata: order.map((o) => o.m) };
}

/** The quarantined rows (`{record, errors, data}`) stored for a dataset. */
export async function quarantinedRows(datasetId: string): Promise<Array<{ record: number; errors: unknown[]; data: unknown }>> {
  const out: Array<{ record: number; errors: unknown[]; data: unknown }> = [];
  const page = await env.DATA.list({ prefix: `quarantine/${datasetId}/` });
  for (const object of page.objects) {
    const text = await (await env.DATA.get(object.key))!.text();
    for (const line of text.split("\n")) if (line !== "") out.push(JSON.parse(line));
  }
  return out.sort((a, b) => a.record - b.record);
}

// ------------------------------------------------------------------ a Worker with other settings

/** A stand-in for the FILE_QUEUE producer that only records what is sent (nothing is delivered). */
export class CapturingQueue {
  readonly sent: unknown[] = [];
  async send(body: unknown): Promise<void> {
    this.sent.push(structuredClone(body));
  }
  async sendBatch(messages: Iterable<{ body: unknown }>): Promise<void> {
    for (const m of messages) this.sent.push(structuredClone(m.body));
  }
  /** Removes and returns what was sent so far. */
  take(): unknown[] {
    return this.sent.splice(0, this.sent.length);
  }
}

/** The test Worker's bindings with some replaced (settings, a capturing queue, S3 config…). */
export function envWith(overrides: Record<string, unknown>): Bindings {
  return { ...(env as unknown as Bindings), ...overrides } as Bindings;
}

const BASE = "http://data-api.test";

/** Calls the app with the given bindings (the routes are the Worker's; only the settings differ). */
export async function callWith(bindings: Bindings, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await newApp().fetch(new Request(path.startsWith("http") ? path : `${BASE}${path}`, init), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

let messageSeq = 0;

/**
 * Runs the Worker's queue handler on one batch, as the Queue would, and answers its ack/retry result
 * (with the delay each retry asked for, which the plugin's result leaves out).
 */
export async function runQueue(
  bindings: Bindings,
  queueName: string,
  bodies: unknown[],
  attempts = 1,
): Promise<QueueResult & { retryDelays: Array<number | undefined> }> {
  const batch = createMessageBatch(
    queueName,
    bodies.map((body) => ({ id: `m-${++messageSeq}`, timestamp: new Date(), attempts, body })),
  );
  const retryDelays: Array<number | undefined> = [];
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    Object.defineProperty(message, "retry", {
      value: (options?: QueueRetryOptions) => {
        retryDelays.push(options?.delaySeconds);
        retry(options);
      },
    });
  }
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, bindings);
  return { ...(await getQueueResult(batch, ctx)), retryDelays };
}

/** Delivers what the capturing queue holds until it stays empty (a whole chunked file, in order). */
export async function drain(bindings: Bindings & { FILE_QUEUE: CapturingQueue }, max = 500): Promise<number> {
  let delivered = 0;
  for (let pending = bindings.FILE_QUEUE.take(); pending.length > 0; pending = bindings.FILE_QUEUE.take()) {
    for (const body of pending) {
      const result = await runQueue(bindings, "data-api-files", [body]);
      expect(result.retryMessages, JSON.stringify(result)).toEqual([]);
      if (++delivered > max) throw new Error("the queue does not drain");
    }
  }
  return delivered;
}

export function nudge(fileId: string): FileQueueMessage {
  return { type: "process-file", file_id: fileId };
}
