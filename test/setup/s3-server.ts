// @ts-nocheck -- runs in Node (vitest globalSetup) but lies in the workerd tsconfig program: remove this line
// once test/setup/*-server.ts move to tsconfig.node.json (it type-checks there, with @types/node).
/**
 * A real S3-compatible server on loopback for the "worker" test project.
 *
 * s3rver (a pure-JS S3 implementation, in a child process) stores the objects, but it does not verify Signature V4 —
 * it only looks the access key id up. So it sits behind a small strict front that does what AWS S3
 * does before touching an object: it recomputes the SigV4 signature from the request (independently
 * of aws4fetch), checks the credential scope (region, service), that every `x-amz-*` header is signed
 * and that `x-amz-content-sha256` matches the body (stricter than S3: UNSIGNED-PAYLOAD is refused).
 * Presigned (query-signed) URLs are verified the same way (UNSIGNED-PAYLOAD, within X-Amz-Expires,
 * every x-amz-* header signed, and a sent x-amz-checksum-sha256 checked against the body, as S3
 * does); an unsigned request is refused. Requests that pass are forwarded,
 * without credentials, to s3rver.
 *
 * The front also has fault buckets, for the failure paths no healthy server takes:
 * - `S3_FAULT_BUCKETS.unavailable`: every request answers 503 SlowDown;
 * - `S3_FAULT_BUCKETS.completeError`: behaves as the main bucket, except that CompleteMultipartUpload
 *   answers `200 OK` with an `<Error>` body (which real S3 does) and completes nothing;
 * - `S3_FAULT_BUCKETS.hang`: reads the request and never answers (until the server shuts down).
 *
 * Tests read all this with `inject("s3")` (see test/setup/s3.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { TestProject } from "vitest/node";
import type { S3TestServer } from "./s3-types";

const BUCKET = "data-api-test";
const REGION = "us-east-1";
const ACCESS_KEY_ID = "TESTACCESSKEY0000001";
const SECRET_ACCESS_KEY = "test-secret-access-key-0000000000000000";
const S3_FAULT_BUCKETS = {
  unavailable: "fault-unavailable",
  completeError: "fault-complete-error",
  hang: "fault-hang",
} as const;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const directory = await mkdtemp(join(tmpdir(), "data-api-s3rver-"));
  const backend = await startS3rver(directory);

  const front = createServer((req, res) => {
    handle(req, res, backend.port).catch((e) => {
      if (!res.headersSent) xmlError(res, 500, "InternalError", `test S3 front: ${String(e)}`);
      else res.destroy();
    });
  });
  const endpoint = `http://127.0.0.1:${await listen(front)}`;

  // A port that was just free and has nothing listening: connections to it are refused.
  const probe = createServer();
  const refusingPort = await listen(probe);
  await close(probe);

  const provided: S3TestServer = {
    endpoint,
    refusingEndpoint: `http://127.0.0.1:${refusingPort}`,
    bucket: BUCKET,
    region: REGION,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    faultBuckets: S3_FAULT_BUCKETS,
  };
  project.provide("s3", provided);

  return async () => {
    front.closeAllConnections();
    await close(front);
    await backend.stop();
    await rm(directory, { recursive: true, force: true });
  };
}

/**
 * s3rver in a child process of its own: its ListObjectsV2 continuation tokens use DES, which
 * OpenSSL 3 (Node >= 17) only offers with `--openssl-legacy-provider` — a flag for a process, not a
 * library, so not for the vitest process. The child ends when its stdin closes (so also when vitest dies).
 */
const RUNNER = `
const S3rver = require(process.env.S3RVER_MODULE);
const server = new S3rver({
  address: "127.0.0.1", port: 0, silent: true,
  directory: process.env.S3RVER_DIRECTORY,
  configureBuckets: [{ name: process.env.S3RVER_BUCKET }],
});
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + "\\n"),
  (error) => { console.error(error); process.exit(1); },
);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

async function startS3rver(directory: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ["--openssl-legacy-provider", "-e", RUNNER], {
    stdio: ["pipe", "pipe", "inherit"],
    env: {
      ...process.env,
      S3RVER_MODULE: createRequire(import.meta.url).resolve("s3rver"),
      S3RVER_DIRECTORY: directory,
      S3RVER_BUCKET: BUCKET,
    },
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("s3rver did not start within 20 s")), 20_000);
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code} before it listened`)));
    createInterface({ input: child.stdout! }).once("line", (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  }).catch((e) => {
    child.kill();
    throw e;
  });
  return {
    port,
    stop: async () => {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, backendPort: number): Promise<void> {
  const body = await readBody(req);
  const rawUrl = req.url ?? "/";
  const [rawPath = "/", rawQuery = ""] = splitOnce(rawUrl, "?");

  const presigned = !header(req, "authorization") && parseQuery(rawQuery).some(([k]) => k === "X-Amz-Signature");
  const denied = presigned ? verifyPresigned(req, rawPath, rawQuery, body) : verifySignature(req, rawPath, rawQuery, body);
  if (denied) return xmlError(res, denied.status, denied.code, denied.message);

  const segments = rawPath.split("/");
  const bucket = safeDecode(segments[1] ?? "");
  const query = parseQuery(rawQuery);
  if (bucket === S3_FAULT_BUCKETS.unavailable) {
    return xmlError(res, 503, "SlowDown", "Please reduce your request rate.");
  }
  if (bucket === S3_FAULT_BUCKETS.hang) {
    return; // the client's timeout must give up; closeAllConnections() ends it at teardown
  }
  if (bucket === S3_FAULT_BUCKETS.completeError) {
    if (req.method === "POST" && query.some(([k]) => k === "uploadId")) {
      res.writeHead(200, { "Content-Type": "application/xml" });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>' +
          "<Message>We encountered an internal error. Please try again.</Message></Error>",
      );
      return;
    }
    segments[1] = BUCKET; // otherwise it is the main bucket
  }

  // Forward without credentials: s3rver serves anonymous requests, and the front did the auth.
  const headers = { ...req.headers };
  delete headers.authorization;
  headers["content-length"] = String(body.length);
  delete headers["transfer-encoding"];
  // A presigned request's X-Amz-* parameters were for this front only: s3rver gets the rest.
  const forwardQuery = presigned
    ? rawQuery
        .split("&")
        .filter((p) => !p.startsWith("X-Amz-"))
        .join("&")
    : rawQuery;
  const path = segments.join("/") + (forwardQuery ? `?${forwardQuery}` : "");
  await new Promise<void>((resolve, reject) => {
    const upstream = request({ host: "127.0.0.1", port: backendPort, method: req.method, path, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on("end", resolve);
      answer.on("error", reject);
    });
    upstream.on("error", reject);
    upstream.end(body);
  });
}

interface Denial {
  status: number;
  code: string;
  message: string;
}

/** AWS Signature Version 4 for S3 (header form), written from the AWS documentation. */
function verifySignature(req: IncomingMessage, rawPath: string, rawQuery: string, body: Buffer): Denial | undefined {
  const auth = header(req, "authorization");
  if (!auth) return { status: 403, code: "AccessDenied", message: "Anonymous access is not allowed." };
  const match = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
  if (!match) return { status: 400, code: "AuthorizationHeaderMalformed", message: "Unparseable Authorization." };
  const [, credential = "", signedHeaderList = "", signature = ""] = match;
  const [accessKeyId, date, region, service, terminator] = credential.split("/");
  if (accessKeyId !== ACCESS_KEY_ID) {
    return { status: 403, code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist." };
  }
  if (region !== REGION || service !== "s3" || terminator !== "aws4_request") {
    return { status: 400, code: "AuthorizationHeaderMalformed", message: `Bad credential scope ${region}/${service}.` };
  }
  const amzDate = header(req, "x-amz-date");
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) {
    return { status: 403, code: "AccessDenied", message: "Missing or inconsistent x-amz-date." };
  }
  const contentSha256 = header(req, "x-amz-content-sha256");
  if (!contentSha256) {
    return { status: 400, code: "InvalidRequest", message: "Missing required header x-amz-content-sha256." };
  }
  // Stricter than S3, which also takes UNSIGNED-PAYLOAD: the sink must sign what it sends.
  if (contentSha256 === "UNSIGNED-PAYLOAD") {
    return { status: 400, code: "InvalidRequest", message: "This test server wants signed payloads." };
  }
  if (contentSha256 !== sha256Hex(body)) {
    return { status: 400, code: "XAmzContentSHA256Mismatch", message: "The provided x-amz-content-sha256 does not match." };
  }
  const signedHeaders = signedHeaderList.split(";");
  const sorted = [...signedHeaders].sort();
  if (signedHeaders.join(";") !== sorted.join(";") || !signedHeaders.includes("host")) {
    return { status: 400, code: "AuthorizationHeaderMalformed", message: "SignedHeaders must be sorted and name host." };
  }
  for (const name of Object.keys(req.headers)) {
    if (name.startsWith("x-amz-") && !signedHeaders.includes(name)) {
      return { status: 403, code: "AccessDenied", message: `Header ${name} is not signed.` };
    }
  }

  const canonicalUri = rawPath
    .split("/")
    .map((segment) => rfc3986(safeDecode(segment)))
    .join("/");
  const canonicalQuery = parseQuery(rawQuery)
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${(header(req, name) ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaderList, contentSha256].join("\n");
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, `${date}/${region}/${service}/aws4_request`, sha256Hex(canonicalRequest)].join("\n");
  let key: Buffer = hmac(`AWS4${SECRET_ACCESS_KEY}`, date ?? "");
  for (const part of [region, service, "aws4_request"]) key = hmac(key, part ?? "");
  const expected = Buffer.from(hmac(key, stringToSign).toString("hex"));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { status: 403, code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match." };
  }
  return undefined;
}

/** AWS Signature Version 4, query-string authentication (presigned URLs), from the AWS documentation. */
function verifyPresigned(req: IncomingMessage, rawPath: string, rawQuery: string, body: Buffer): Denial | undefined {
  const query = parseQuery(rawQuery);
  const param = (name: string) => query.find(([k]) => k === name)?.[1];
  const algorithm = param("X-Amz-Algorithm");
  const credential = param("X-Amz-Credential") ?? "";
  const amzDate = param("X-Amz-Date") ?? "";
  const expires = Number(param("X-Amz-Expires"));
  const signedHeaderList = param("X-Amz-SignedHeaders") ?? "";
  const signature = param("X-Amz-Signature") ?? "";
  if (
    algorithm !== "AWS4-HMAC-SHA256" ||
    !/^\d{8}T\d{6}Z$/.test(amzDate) ||
    !Number.isInteger(expires) ||
    expires < 1 ||
    expires > 604800
  ) {
    return { status: 400, code: "AuthorizationQueryParametersError", message: "Malformed presigned URL." };
  }
  const [accessKeyId, date, region, service, terminator] = credential.split("/");
  if (accessKeyId !== ACCESS_KEY_ID) {
    return { status: 403, code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist." };
  }
  if (date !== amzDate.slice(0, 8) || region !== REGION || service !== "s3" || terminator !== "aws4_request") {
    return { status: 400, code: "AuthorizationQueryParametersError", message: `Bad credential scope ${region}/${service}.` };
  }
  const signedAt = Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (Date.now() > signedAt + expires * 1000) return { status: 403, code: "AccessDenied", message: "Request has expired" };
  const signedHeaders = signedHeaderList.split(";");
  if (!signedHeaders.includes("host")) return { status: 400, code: "AuthorizationQueryParametersError", message: "host must be signed." };
  for (const name of Object.keys(req.headers)) {
    if (name.startsWith("x-amz-") && !signedHeaders.includes(name)) {
      return { status: 403, code: "AccessDenied", message: `Header ${name} is not signed.` };
    }
  }
  const canonicalUri = rawPath
    .split("/")
    .map((segment) => rfc3986(safeDecode(segment)))
    .join("/");
  const canonicalQuery = query
    .filter(([k]) => k !== "X-Amz-Signature")
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${(header(req, name) ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaderList, "UNSIGNED-PAYLOAD"].join("\n");
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, `${date}/${region}/${service}/aws4_request`, sha256Hex(canonicalRequest)].join("\n");
  let key: Buffer = hmac(`AWS4${SECRET_ACCESS_KEY}`, date ?? "");
  for (const part of [region, service, "aws4_request"]) key = hmac(key, part ?? "");
  const expected = Buffer.from(hmac(key, stringToSign).toString("hex"));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return {
      status: 403,
      code: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided.",
    };
  }
  const checksum = header(req, "x-amz-checksum-sha256");
  if (checksum !== undefined && checksum !== createHash("sha256").update(body).digest("base64")) {
    return { status: 400, code: "BadDigest", message: "The SHA256 you specified did not match the calculated checksum." };
  }
  return undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function parseQuery(rawQuery: string): Array<[string, string]> {
  if (!rawQuery) return [];
  return rawQuery.split("&").map((pair) => {
    const [k = "", v = ""] = splitOnce(pair, "=");
    return [safeDecode(k), safeDecode(v)];
  });
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

function xmlError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "Content-Type": "application/xml" });
  const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
}
