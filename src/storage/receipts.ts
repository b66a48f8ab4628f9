import { storage } from "./errors";
import { r2Keys } from "./keys";

/** What the API remembers of an accepted submission (R2: read-after-write consistent). */
export interface Receipt {
  submission_id: string;
  dataset_id: string;
  company_id: string;
  client_id: string;
  schema_version: number;
  records: number;
  accepted: number;
  rejected: number;
  received_at: string;
  partial: boolean;
  object_key: string;
  sha256: string;
  quarantine_keys: string[];
  file_id?: string;
}

export async function putReceipt(bucket: R2Bucket, receipt: Receipt): Promise<void> {
  await storage("r2.put receipt", () =>
    bucket.put(r2Keys.receipt(receipt.submission_id), JSON.stringify(receipt), {
      httpMetadata: { contentType: "application/json" },
    }),
  );
}

export async function getReceipt(bucket: R2Bucket, submissionId: string): Promise<Receipt | undefined> {
  const object = await storage("r2.get receipt", () => bucket.get(r2Keys.receipt(submissionId)));
  return object ? await object.json<Receipt>() : undefined;
}

const SAMPLE_SIZE = 100;

/** Adds newly accepted records to the dataset's recent-records sample (newest first, bounded). */
export async function addToRecentSample(bucket: R2Bucket, datasetId: string, records: unknown[]): Promise<void> {
  if (records.length === 0) return;
  const key = r2Keys.recentSample(datasetId);
  const current = await bucket.get(key);
  const previous = current ? await current.json<unknown[]>() : [];
  // Concurrent pushes may overwrite each other's additions: harmless for a sample.
  await bucket.put(key, JSON.stringify([...records, ...previous].slice(0, SAMPLE_SIZE)));
}

export async function recentSample(bucket: R2Bucket, datasetId: string): Promise<unknown[]> {
  const object = await storage("r2.get sample", () => bucket.get(r2Keys.recentSample(datasetId)));
  return object ? await object.json<unknown[]>() : [];
}
