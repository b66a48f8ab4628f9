import { ApiError } from "../errors";

const COMPANY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function requireCompanyId(value: unknown, field = "company_id"): string {
  if (typeof value !== "string" || !COMPANY_ID.test(value)) {
    throw new ApiError("bad_request", `\`${field}\` must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -.`, {
      extra: { field },
    });
  }
  return value;
}

export function requireString(value: unknown, field: string, maxLength = 200): string {
  if (typeof value !== "string" || value.trim() === "" || value.length > maxLength) {
    throw new ApiError("bad_request", `\`${field}\` must be a non-empty string of at most ${maxLength} characters.`, {
      extra: { field },
    });
  }
  return value;
}

export function requireOneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new ApiError("bad_request", `\`${field}\` must be one of ${allowed.map((a) => `"${a}"`).join(", ")}.`, {
      extra: { field },
    });
  }
  return value as T;
}

/** `?flag=true` style switches: absent or "false" is off, "true" (or empty, `?force`) is on. */
export function booleanQuery(value: string | undefined, field: string): boolean {
  if (value === undefined || value === "false") return false;
  if (value === "true" || value === "") return true;
  throw new ApiError("bad_request", `\`${field}\` must be true or false.`, { extra: { field } });
}
