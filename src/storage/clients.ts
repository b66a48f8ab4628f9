import type { Bindings } from "../env";
import { TtlCache } from "../lib/ttl-cache";
import { storage } from "./errors";
import { kvKeys } from "./keys";
import { listSuffixes } from "./kv-list";

export interface ClientRecord {
  client_id: string;
  company_id: string;
  name: string;
  dataset_ids: string[];
  disabled: boolean;
  /** `hmac-sha256$salt$mac`; never leaves storage. */
  secret_hash: string;
  /** Unix seconds of the last rotation: tokens issued before it are refused. */
  secret_rotated_at: number;
  created_at: string;
  updated_at: string;
}

/** What the API shows of a client: everything but the secret hash. */
export type ClientView = Omit<ClientRecord, "secret_hash">;

export function clientView(record: ClientRecord): ClientView {
  const { secret_hash: _hidden, ...view } = record;
  return view;
}

/**
 * How long an isolate trusts its copy of a client record. Disabling or deleting a client takes
 * effect in the isolate that made the change at once, elsewhere within this plus KV's propagation.
 */
const CLIENT_CACHE_MS = 5_000;
const clientCache = new TtlCache<ClientRecord | null>(5000);

export class ClientStore {
  constructor(private readonly env: Bindings) {}

  async get(clientId: string, options: { fresh?: boolean } = {}): Promise<ClientRecord | undefined> {
    if (!options.fresh) {
      const hit = clientCache.get(clientId);
      if (hit !== undefined) return hit ?? undefined;
    }
    const record = await storage("kv.get client", () => this.env.CONFIG.get<ClientRecord>(kvKeys.client(clientId), "json"));
    clientCache.set(clientId, record, CLIENT_CACHE_MS);
    return record ?? undefined;
  }

  async put(record: ClientRecord): Promise<void> {
    await storage("kv.put client index", () => this.env.CONFIG.put(kvKeys.companyClient(record.company_id, record.client_id), ""));
    await storage("kv.put client", () => this.env.CONFIG.put(kvKeys.client(record.client_id), JSON.stringify(record)));
    clientCache.set(record.client_id, record, CLIENT_CACHE_MS);
  }

  async delete(record: ClientRecord): Promise<void> {
    await storage("kv.delete client", () => this.env.CONFIG.delete(kvKeys.client(record.client_id)));
    await storage("kv.delete client index", () => this.env.CONFIG.delete(kvKeys.companyClient(record.company_id, record.client_id)));
    clientCache.set(record.client_id, null, CLIENT_CACHE_MS);
  }

  async list(companyId: string): Promise<ClientRecord[]> {
    const ids = await listSuffixes(this.env.CONFIG, kvKeys.companyClientPrefix(companyId));
    const records = await Promise.all(ids.map((id) => this.get(id, { fresh: true })));
    return records.filter((r): r is ClientRecord => r !== undefined && r.company_id === companyId);
  }
}
