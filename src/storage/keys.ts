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
 *
 * R2 (`DATA`, data; strongly consistent): see API.md "Storage layout".
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
} as const;
