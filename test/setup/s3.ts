/**
 * For tests in workerd: the S3-compatible server that test/setup/s3-server.ts started on loopback.
 *
 *   import { s3Env, s3Config } from "../setup/s3";
 *   const env = { ...workerEnv, ...s3Env() };                  // SINK = "s3", pointing at the server
 *   const env = { ...workerEnv, ...s3Env({ refusing: true }) }; // nothing listens: connections refused
 *   const env = { ...workerEnv, ...s3Env({ bucket: s3Server().faultBuckets.unavailable }) }; // 503s
 */
import { inject } from "vitest";
import type { S3Config } from "../../src/storage/sink-s3";
import type { S3TestServer } from "./s3-types";

export type { S3TestServer };

export function s3Server(): S3TestServer {
  return inject("s3");
}

export interface S3TestOptions {
  /** Point at the refusing port instead of the server. */
  refusing?: boolean;
  bucket?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
  /** The sink's wait for an answer (for the `hang` fault bucket). */
  timeoutMs?: number;
}

/** Arguments for `new S3Sink(…)`. */
export function s3Config(options: S3TestOptions = {}): S3Config {
  const server = s3Server();
  return {
    endpoint: options.refusing ? server.refusingEndpoint : server.endpoint,
    bucket: options.bucket ?? server.bucket,
    region: options.region ?? server.region,
    accessKeyId: options.accessKeyId ?? server.accessKeyId,
    secretAccessKey: options.secretAccessKey ?? server.secretAccessKey,
    timeoutMs: options.timeoutMs,
  };
}

/** Env overrides that make `sinkFor(env)` (and so the routes) write to the test S3 server. */
export function s3Env(options: S3TestOptions = {}): {
  SINK: string;
  S3_ENDPOINT: string;
  S3_BUCKET: string;
  S3_REGION: string;
  S3_ACCESS_KEY_ID: string;
  S3_SECRET_ACCESS_KEY: string;
} {
  const config = s3Config(options);
  return {
    SINK: "s3",
    S3_ENDPOINT: config.endpoint,
    S3_BUCKET: config.bucket,
    S3_REGION: config.region,
    S3_ACCESS_KEY_ID: config.accessKeyId,
    S3_SECRET_ACCESS_KEY: config.secretAccessKey,
  };
}
