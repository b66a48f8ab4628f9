/**
 * Every storage key the API writes, built in one place so the layout is documented once.
 *
 * KV (`CONFIG`, configuration; eventually consistent):
 *   dataset/{dataset_id}                          → Dataset JSON (current schema_version)
 *   schema/{dataset_id}/{version}                 → the schema document of that version (immutable)
 *   company/{company_id}/dataset/{dataset_id}     → "" (index: datasets of a company)
 *   client/{client_id}                            → ClientRecord JSON (secret only as a salted hash)
 *   company/{company_id}/client/{client_id}       → "" (index: clients of a company)
 *   local/jwt-signing-key                         → a generated signing key, only where LOCAL_DEV_KEYS="true"
 *   local/upload-signing-key                      → a generated upload URL signing key, likewise
 *
 * R2 (`DATA`, data; strongly consistent). The first three are API.md's "Storage layout", read by
 * the platform downstream (and written to the S3 sink instead of R2 where `SINK = "s3"`):
 *   datasets/{dataset_id}/date={YYYY-MM-DD}/{submission_id}.ndjson   accepted records, one per line
 *   uploads/{dataset_id}/{file_id}/{file_name}                       uploaded files as sent
 *   quarantine/{dataset_id}/date={YYYY-MM-DD}/{id}.rejected.ndjson   rejected records with their errors
 *   quarantine/{dataset_id}/date={YYYY-MM-DD}/{id}.held.ndjson       valid records of a push rejected as a whole
 * and the API's own state, which needs read-after-write consistency:
 *   receipts/{submission_id}.json                                    receipt of an accepted submission
 *   idempotency/{client_id}/{dataset_id}/{sha256(key)}.json          Idempotency-Key record
 *   samples/{dataset_id}/recent.json                                 recently accepted records (schema checks)
 *   staging/{id}/{name}.ndjson                                       large outputs while a push is read
 *   files/{file_id}.json                                             status record of an upload (and its checkpoint)
 */
export const kvKeys = {
  dataset: (datasetId: string) => `dataset/${datasetId}`,
  schema: (datasetId: string, version: number) => `schema/${datasetId}/${version}`,
  companyDatasetPrefix: (companyId: string) => `company/${companyId}/dataset/`,
  companyDataset: (companyId: string, datasetId: string) => `company/${companyId}/dataset/${datasetId}`,
  client: (clientId: string) => `client/${clientId}`,
  companyClientPrefix: (companyId: string) => `company/${companyId}/client/`,
  companyClient: (companyId: string, clientId: string) => `company/${companyId}/client/${clientId}`,
  localSigningKey: () => "local/jwt-signing-key",
  localUploadSigningKey: () => "local/upload-signing-key",
} as const;

export const r2Keys = {
  records: (datasetId: string, date: string, submissionId: string) => `datasets/${datasetId}/date=${date}/${submissionId}.ndjson`,
  upload: (datasetId: string, fileId: string, fileName: string) => `uploads/${datasetId}/${fileId}/${fileName}`,
  quarantine: (datasetId: string, date: string, id: string, kind: "rejected" | "held") =>
    `quarantine/${datasetId}/date=${date}/${id}.${kind}.ndjson`,
  receipt: (submissionId: string) => `receipts/${submissionId}.json`,
  idempotency: (clientId: string, datasetId: string, keyHash: string) => `idempotency/${clientId}/${datasetId}/${keyHash}.json`,
  recentSample: (datasetId: string) => `samples/${datasetId}/recent.json`,
  staging: (id: string, name: string) => `staging/${id}/${name}.ndjson`,
  fileStatus: (fileId: string) => `files/${fileId}.json`,
} as const;

/** The UTC calendar date of an ISO timestamp, as used in `date=` partitions. */
export function partitionDate(iso: string): string {
  return iso.slice(0, 10);
}
