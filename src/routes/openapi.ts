import type { Hono } from "hono";
import type { HonoEnv } from "../env";
import { ApiError } from "../errors";
import {
  DOCS_ASSET_FILES,
  DOCS_CONTENT_TYPES,
  DOCS_CSP,
  DOCS_FILES,
  DOCS_INIT_FILE,
  DOCS_INIT_SCRIPT,
  type DocsFile,
  docsHtml,
} from "../openapi/docs-page";
import { API_TITLE, documentSettings, openApiDocument } from "../openapi/document";

/** Swagger UI's files change only with the pinned package version, which their URLs carry. */
const ASSET_CACHE = "public, max-age=86400";

/**
 * The service routes that describe the API: `GET /openapi.json` (the OpenAPI 3.1 document, stating
 * this deployment's limits) and `GET /docs` (Swagger UI rendering it, with its files under
 * `/docs/{file}`). No authentication: the contract is public.
 */
export function registerOpenApi(app: Hono<HonoEnv>): void {
  app.get("/openapi.json", (c) => {
    return c.json(openApiDocument(documentSettings(c.env)), 200, {
      "Cache-Control": "public, max-age=300",
      // Tools on other origins (editors, generators) may read the public contract.
      "Access-Control-Allow-Origin": "*",
    });
  });

  app.get("/docs", (c) => {
    return c.html(docsHtml(API_TITLE), 200, {
      "Content-Security-Policy": DOCS_CSP,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-cache",
    });
  });

  app.get("/docs/:file", async (c) => {
    const file = c.req.param("file");
    if (!(DOCS_FILES as readonly string[]).includes(file)) {
      throw new ApiError("not_found", `No documentation file ${JSON.stringify(file)}.`);
    }
    const headers = {
      "Content-Type": DOCS_CONTENT_TYPES[file as DocsFile],
      "Cache-Control": ASSET_CACHE,
      "X-Content-Type-Options": "nosniff",
    };
    if (file === DOCS_INIT_FILE) return c.body(DOCS_INIT_SCRIPT, 200, headers);

    const assets = c.env.ASSETS as Fetcher | undefined;
    // Only the allow-listed files of the package are ever read: nothing else of it is reachable.
    const asset =
      assets && (DOCS_ASSET_FILES as readonly string[]).includes(file) ? await assets.fetch(new URL(`/${file}`, c.req.url)) : undefined;
    if (!asset?.ok || !asset.body) {
      await asset?.body?.cancel();
      throw new ApiError("unavailable", "The documentation page's files are not deployed (the [assets] block of wrangler.toml).", {
        internal: `ASSETS ${assets ? `answered ${asset?.status}` : "binding missing"} for ${file}`,
      });
    }
    // A new response: the asset's own headers are immutable, and the request log adds X-Request-Id.
    return new Response(asset.body, { status: 200, headers });
  });
}
