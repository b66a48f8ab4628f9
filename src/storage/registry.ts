import type { Bindings } from "../env";
import { TtlCache } from "../lib/ttl-cache";
import { type CompiledSchema, compileSchema } from "../schema/compile";
import type { SchemaObject } from "../schema/walk";
import { storage } from "./errors";
import { kvKeys } from "./keys";
import { listSuffixes } from "./kv-list";

export const DATASET_FORMATS = ["json", "ndjson", "csv"] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface Dataset {
  dataset_id: string;
  company_id: string;
  name: string;
  format: DatasetFormat;
  schema_version: number;
  created_at: string;
  updated_at: string;
}

export interface SchemaVersion {
  dataset_id: string;
  schema_version: number;
  schema: SchemaObject;
  created_at: string;
}

// Isolate-wide: shared by every request this isolate serves.
const datasetCache = new TtlCache<Dataset>(1000);
/** Schema versions never change once written, so compiled validators live until evicted. */
const compiledCache = new TtlCache<CompiledSchema>(256);
const COMPILED_TTL_MS = 60 * 60 * 1000;

/**
 * The dataset & schema registry over KV. Reads on the data path go through the isolate cache
 * (`fresh: false`); admin reads go to KV each time so operators see their own writes.
 */
export class Registry {
  constructor(private readonly env: Bindings) {}

  private get cacheMs(): number {
    return Number(this.env.CONFIG_CACHE_SECONDS ?? 30) * 1000;
  }

  private get kvCacheTtl(): number {
    return Math.max(30, Number(this.env.KV_CACHE_TTL_SECONDS ?? 30));
  }

  async createDataset(input: { company_id: string; name: string; format: DatasetFormat; schema: SchemaObject }): Promise<Dataset> {
    const now = new Date().toISOString();
    const dataset: Dataset = {
      dataset_id: crypto.randomUUID(),
      company_id: input.company_id,
      name: input.name,
      format: input.format,
      schema_version: 1,
      created_at: now,
      updated_at: now,
    };
    // Schema first, dataset last: a reader that can see the dataset can always find its schema.
    await this.writeSchema({ dataset_id: dataset.dataset_id, schema_version: 1, schema: input.schema, created_at: now });
    await storage("kv.put dataset index", () => this.env.CONFIG.put(kvKeys.companyDataset(dataset.company_id, dataset.dataset_id), ""));
    await this.writeDataset(dataset);
    return dataset;
  }

  async addSchemaVersion(dataset: Dataset, schema: SchemaObject): Promise<Dataset> {
    const now = new Date().toISOString();
    const next: Dataset = { ...dataset, schema_version: dataset.schema_version + 1, updated_at: now };
    await this.writeSchema({ dataset_id: dataset.dataset_id, schema_version: next.schema_version, schema, created_at: now });
    await this.writeDataset(next);
    return next;
  }

  async getDataset(datasetId: string, options: { fresh?: boolean } = {}): Promise<Dataset | undefined> {
    if (!options.fresh) {
      const hit = datasetCache.get(datasetId);
      if (hit) return hit;
    }
    const dataset = await storage("kv.get dataset", () =>
      this.env.CONFIG.get<Dataset>(
        kvKeys.dataset(datasetId),
        options.fresh ? { type: "json" } : { type: "json", cacheTtl: this.kvCacheTtl },
      ),
    );
    if (dataset) datasetCache.set(datasetId, dataset, this.cacheMs);
    return dataset ?? undefined;
  }

  async listDatasets(companyId: string): Promise<Dataset[]> {
    const ids = await listSuffixes(this.env.CONFIG, kvKeys.companyDatasetPrefix(companyId));
    const datasets = await Promise.all(ids.map((id) => this.getDataset(id, { fresh: true })));
    return datasets.filter((d): d is Dataset => d !== undefined && d.company_id === companyId);
  }

  async getSchema(datasetId: string, version: number): Promise<SchemaVersion | undefined> {
    const found = await storage("kv.get schema", () =>
      this.env.CONFIG.get<SchemaVersion>(kvKeys.schema(datasetId, version), { type: "json", cacheTtl: this.kvCacheTtl }),
    );
    return found ?? undefined;
  }

  /** The compiled validator of a dataset's schema version, compiled once per isolate. */
  async compiled(datasetId: string, version: number): Promise<CompiledSchema | undefined> {
    const key = `${datasetId}/${version}`;
    const hit = compiledCache.get(key);
    if (hit) return hit;
    const found = await this.getSchema(datasetId, version);
    if (!found) return undefined;
    const compiled = compileSchema(found.schema);
    compiledCache.set(key, compiled, COMPILED_TTL_MS);
    return compiled;
  }

  private async writeSchema(version: SchemaVersion): Promise<void> {
    await storage("kv.put schema", () =>
      this.env.CONFIG.put(kvKeys.schema(version.dataset_id, version.schema_version), JSON.stringify(version)),
    );
  }

  private async writeDataset(dataset: Dataset): Promise<void> {
    await storage("kv.put dataset", () => this.env.CONFIG.put(kvKeys.dataset(dataset.dataset_id), JSON.stringify(dataset)));
    datasetCache.set(dataset.dataset_id, dataset, this.cacheMs);
  }
}
