// @ts-nocheck -- runs in Node (vitest globalSetup), and the project has no @types/node: remove this
// line once @types/node is a dev dependency; the file is written to type-check with it.
/**
 * A stand-in for an external identity provider's JWKS endpoint, over real HTTP on loopback, for the
 * "worker" test project. Tests generate their key pair in workerd and publish the public keys here:
 *
 *   PUT  /jwks/{name}     body: a JWKS document  → 204 (stored in memory)
 *   GET  /jwks/{name}     → the stored document (404 if none); counts the fetch
 *   GET  /fetches/{name}  → {"fetches": n}: how often the Worker fetched /jwks/{name}
 *   GET  /status/{code}   → an empty answer with that status (a broken provider)
 *
 * `refusingUrl` is a loopback port with nothing listening. Tests read both with `inject("jwks")`.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

export interface JwksTestServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `http://127.0.0.1:PORT` with nothing listening: connections are refused. */
  refusingUrl: string;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const documents = new Map<string, string>();
  const fetches = new Map<string, number>();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const [, kind = "", name = ""] = url.pathname.split("/");
    if (kind === "jwks" && req.method === "PUT") {
      documents.set(name, await readBody(req));
      res.writeHead(204).end();
    } else if (kind === "jwks" && req.method === "GET") {
      fetches.set(name, (fetches.get(name) ?? 0) + 1);
      const document = documents.get(name);
      if (document === undefined) res.writeHead(404).end();
      else res.writeHead(200, { "Content-Type": "application/json" }).end(document);
    } else if (kind === "fetches") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ fetches: fetches.get(name) ?? 0 }));
    } else if (kind === "status") {
      res.writeHead(Number(name) || 500).end();
    } else {
      res.writeHead(404).end();
    }
  });
  const url = `http://127.0.0.1:${await listen(server)}`;

  const probe = createServer();
  const refusingPort = await listen(probe);
  await close(probe);

  const provided: JwksTestServer = { url, refusingUrl: `http://127.0.0.1:${refusingPort}` };
  project.provide("jwks", provided);

  return async () => {
    server.closeAllConnections();
    await close(server);
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
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
