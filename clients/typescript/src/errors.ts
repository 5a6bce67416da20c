import type { ErrorBody, FieldErrors } from "./types.js";

/** The base of every error this package throws. */
export class JwtAuthError extends Error {
  override name = "JwtAuthError";
}

/** The server answered with an error status. */
export class ApiError extends JwtAuthError {
  override name = "ApiError";
  /** The parsed JSON body, or the raw text when it was not JSON, or null when empty. */
  readonly body: ErrorBody | string | null;
  /** `detail` of the body, when there is one. */
  readonly detail: string | undefined;
  /** `code` of the body (`token_not_valid`, `user_not_found`, `user_inactive`, ...). */
  readonly code: string | undefined;
  /** Seconds from the `Retry-After` header (429 and 503), when sent. */
  readonly retryAfter: number | undefined;

  constructor(
    readonly status: number,
    body: ErrorBody | string | null,
    retryAfter?: number,
  ) {
    const detail = typeof body === "object" && body !== null && typeof body.detail === "string" ? body.detail : undefined;
    super(detail ?? `HTTP ${status}`);
    this.body = body;
    this.detail = detail;
    this.code = typeof body === "object" && body !== null && typeof body.code === "string" ? body.code : undefined;
    this.retryAfter = retryAfter;
  }
}

/** 400 with djoser's field errors: `{"email":["This field is required."]}`. */
export class ValidationError extends ApiError {
  override name = "ValidationError";
  /** Every field's messages, `non_field_errors` included. */
  readonly fields: FieldErrors;

  constructor(status: number, body: ErrorBody | string | null, fields: FieldErrors) {
    const first = Object.entries(fields)[0];
    super(status, body);
    this.fields = fields;
    if (first) this.message = `${first[0]}: ${first[1].join(" ")}`;
  }

  /** `non_field_errors` (for example "No data provided"). */
  get nonFieldErrors(): string[] {
    return this.fields["non_field_errors"] ?? [];
  }
}

/** 401 other than a token error: wrong credentials at login, `user_not_found`, `user_inactive`. */
export class UnauthorizedError extends ApiError {
  override name = "UnauthorizedError";
}

/**
 * 401 `{"code":"token_not_valid"}`: the token is expired, revoked (logout, logout_all,
 * password change) or malformed. From the refresh endpoint it means the session is over:
 * the client has signed out by the time this is thrown.
 */
export class TokenNotValidError extends UnauthorizedError {
  override name = "TokenNotValidError";
}

/** 429: too many failed logins; `retryAfter` says how many seconds to wait. */
export class ThrottledError extends ApiError {
  override name = "ThrottledError";
}

/** The request did not get an answer (offline, DNS, CORS, connection reset, lost response). */
export class NetworkError extends JwtAuthError {
  override name = "NetworkError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An authenticated call was made with no session (never signed in, or signed out). */
export class NotSignedInError extends JwtAuthError {
  override name = "NotSignedInError";
  constructor() {
    super("not signed in");
  }
}

/** Seconds from a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** The typed error for an error response; reads the body. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: ErrorBody | string | null = null;
  try {
    const text = await res.text();
    if (text !== "") {
      try {
        body = JSON.parse(text) as ErrorBody;
      } catch {
        body = text;
      }
    }
  } catch {
    // The body was lost; the status alone still classifies the error.
  }
  const retryAfter = parseRetryAfter(res.headers.get("Retry-After"));
  const code = typeof body === "object" && body !== null ? body.code : undefined;
  if (res.status === 401) {
    return code === "token_not_valid" ? new TokenNotValidError(401, body) : new UnauthorizedError(401, body);
  }
  if (res.status === 429) return new ThrottledError(429, body, retryAfter);
  if (res.status === 400 && isFieldErrors(body)) return new ValidationError(400, body, body);
  return new ApiError(res.status, body, retryAfter);
}

function isFieldErrors(body: unknown): body is FieldErrors {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const values = Object.values(body);
  return values.length > 0 && values.every((v) => Array.isArray(v) && v.every((m) => typeof m === "string"));
}
