export { AuthClient, type AuthClientOptions, type AuthEvents, type SignOutReason } from "./client.js";
export {
  ApiError,
  JwtAuthError,
  NetworkError,
  NotSignedInError,
  ThrottledError,
  TokenNotValidError,
  UnauthorizedError,
  ValidationError,
  errorFromResponse,
  parseRetryAfter,
} from "./errors.js";
export { decodeClaims } from "./jwt.js";
export { MemoryStorage, WebStorage, type TokenStorage } from "./storage.js";
export type * from "./types.js";
