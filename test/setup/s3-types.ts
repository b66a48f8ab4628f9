/** What test/setup/s3-server.ts provides as `inject("s3")`. Types only: shared by Node and workerd code. */
export interface S3TestServer {
  /** The strict SigV4-checking front of s3rver: `http://127.0.0.1:PORT`. */
  endpoint: string;
  /** A loopback port with nothing listening. */
  refusingEndpoint: string;
  /** Created before the tests start. Shared by every test file: use unique keys or prefixes. */
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Buckets the front fakes failures for (see test/setup/s3-server.ts). */
  faultBuckets: { unavailable: string; completeError: string; hang: string };
}

declare module "vitest" {
  export interface ProvidedContext {
    s3: S3TestServer;
  }
}
