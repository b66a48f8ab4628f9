import { ApiError } from "../errors";

/**
 * A storage operation failed. `retryable` says whether trying again can help (a timeout or an
 * unavailable backend) — then the client gets 503 with Retry-After; otherwise it is our bug (500).
 */
export class StorageError extends Error {
  constructor(
    readonly operation: string,
    readonly retryable: boolean,
    cause?: unknown,
  ) {
    super(`storage operation failed: ${operation}`, { cause });
    this.name = "StorageError";
  }

  toApiError(): ApiError {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause);
    if (!this.retryable) {
      return new ApiError("internal", "An internal error occurred.", { internal: `${this.operation}: ${reason}` });
    }
    return new ApiError("unavailable", "Storage is temporarily unavailable; nothing was stored. Retry later.", {
      headers: { "Retry-After": "5" },
      internal: `${this.operation}: ${reason}`,
    });
  }
}

/** Runs a storage call, turning any failure into a retryable StorageError. */
export async function storage<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof StorageError) throw e;
    throw new StorageError(operation, true, e);
  }
}
