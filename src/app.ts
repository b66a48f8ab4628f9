import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { HonoEnv } from "./env";
import { ApiError, problemResponse } from "./errors";
import { adminAuth } from "./middleware/admin-auth";
import { clientAuth } from "./middleware/client-auth";
import { clientRateLimit } from "./middleware/rate-limit";
import { requestContext } from "./middleware/request-context";
import { registerAdminClients } from "./routes/admin-clients";
import { registerAdminDatasets } from "./routes/admin-datasets";
import { registerAdminSubmissions } from "./routes/admin-submissions";
import { registerDataDatasets } from "./routes/data-datasets";
import { registerDataJson } from "./routes/data-json";
import { registerDataSubmissions } from "./routes/data-submissions";
import { registerFileUploadUrl } from "./routes/file-upload-url";
import { registerFiles } from "./routes/files";
import { registerHealth } from "./routes/health";
import { registerOAuthToken } from "./routes/oauth-token";
import { registerOpenApi } from "./routes/openapi";
import { registerUploadPut } from "./routes/upload-put";
import { StorageError } from "./storage/errors";

/** Maps anything thrown to a problem response; only our own bugs become 500, without internals. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StorageError) return err.toApiError();
  if (err instanceof HTTPException) {
    // Hono's own middleware (e.g. body limits) throws these; keep their status, use our shape.
    const code = err.status === 413 ? "payload_too_large" : err.status === 401 ? "unauthorized" : "bad_request";
    return new ApiError(code, err.message || "The request could not be processed.");
  }
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new ApiError("internal", "An internal error occurred.", { internal: reason });
}

/** The application, shared by the Worker entry point and the tests. */
export function newApp(): Hono<HonoEnv> {
  const app = new Hono<HonoEnv>();
  app.use(requestContext());

  registerHealth(app);
  registerOpenApi(app);
  app.use("/admin/*", adminAuth());
  registerAdminDatasets(app);
  registerAdminClients(app);
  registerAdminSubmissions(app);
  registerOAuthToken(app);
  app.use("/data/*", clientAuth());
  app.use("/data/*", clientRateLimit());
  registerDataDatasets(app);
  registerDataJson(app);
  registerDataSubmissions(app);
  registerFileUploadUrl(app);
  registerFiles(app);
  // Worker-backend uploads: authorised by their presigned URL, not by client credentials.
  registerUploadPut(app);

  app.notFound((c) => {
    return problemResponse(new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}.`), c.get("requestId"));
  });
  app.onError((err, c) => {
    const error = toApiError(err);
    if (error.status >= 500) {
      console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), reason: error.internal ?? error.detail }));
    }
    return problemResponse(error, c.get("requestId") ?? crypto.randomUUID());
  });
  return app;
}
