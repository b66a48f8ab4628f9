import swaggerUiPackage from "swagger-ui-dist/package.json";

/**
 * The docs page (`GET /docs`): Swagger UI rendering `/openapi.json`. Swagger UI's files come from the
 * pinned npm package `swagger-ui-dist`, deployed as the Worker's static assets (`[assets]` in
 * wrangler.toml) and served by the Worker under `/docs/…`; the page's own start-up script is served
 * from here. Nothing is loaded from another origin, so the page works offline and under a strict CSP.
 */

export const SWAGGER_UI_VERSION: string = swaggerUiPackage.version;

/** Files under `/docs/{file}`: those of the Swagger UI package (read through the ASSETS binding), and ours. */
export const DOCS_ASSET_FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"] as const;
export const DOCS_INIT_FILE = "docs.js";
export const DOCS_FILES = [...DOCS_ASSET_FILES, DOCS_INIT_FILE] as const;
export type DocsFile = (typeof DOCS_FILES)[number];

export const DOCS_CONTENT_TYPES: Record<DocsFile, string> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "docs.js": "text/javascript; charset=utf-8",
};

/**
 * Only same-origin scripts, styles, images and requests; no inline script. Swagger UI sets `style`
 * attributes and uses data: URIs for its icons, hence `'unsafe-inline'` for styles and `data:` images.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** `/docs/{file}?v=…`: the version busts caches when the package is upgraded. */
export function docsFileUrl(file: DocsFile): string {
  return `/docs/${file}?v=${encodeURIComponent(SWAGGER_UI_VERSION)}`;
}

export function docsHtml(title: string): string {
  const escaped = title.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escaped} — API documentation</title>
<link rel="icon" type="image/png" href="${docsFileUrl("favicon-32x32.png")}">
<link rel="stylesheet" href="${docsFileUrl("swagger-ui.css")}">
</head>
<body>
<noscript>This page needs JavaScript. The API description itself is at <a href="/openapi.json">/openapi.json</a>.</noscript>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="${docsFileUrl("swagger-ui-bundle.js")}"></script>
<script src="${docsFileUrl(DOCS_INIT_FILE)}"></script>
</body>
</html>
`;
}

/**
 * Starts Swagger UI on the page. `validatorUrl: null`: Swagger UI would otherwise send the document to
 * an online validator. "Try it out" works against this origin (the CSP allows only same-origin requests).
 */
export const DOCS_INIT_SCRIPT = `"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    deepLinking: true,
    displayOperationId: true,
    displayRequestDuration: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    filter: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
`;
