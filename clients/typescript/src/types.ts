// Request and response bodies of every endpoint (README.md of the service, "API").

/** `POST /auth/users/` request. */
export interface RegisterRequest {
  email: string;
  password: string;
  first_name: string;
  last_name: string;
}

/** The user as `/auth/users/` and `/auth/users/me/` return it. */
export interface User {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
}

/** `POST /auth/jwt/create/` request. */
export interface LoginRequest {
  email: string;
  password: string;
}

/** `POST /auth/jwt/create/` and `POST /auth/jwt/refresh/` response: the refresh token is rotated on every refresh. */
export interface TokenPair {
  access: string;
  refresh: string;
}

/** `POST /auth/jwt/refresh/` and `POST /auth/jwt/blacklist/` request. */
export interface RefreshRequest {
  refresh: string;
}

/** `POST /auth/jwt/verify/` request. */
export interface VerifyRequest {
  token: string;
}

/** `PUT`/`PATCH /auth/users/me/` request (email is read-only). */
export interface UpdateMeRequest {
  first_name?: string;
  last_name?: string;
}

/** `POST /auth/users/set_password/` request. */
export interface SetPasswordRequest {
  current_password: string;
  new_password: string;
}

/** `POST /auth/users/set_email/` request. */
export interface SetEmailRequest {
  current_password: string;
  new_email: string;
}

/** `DELETE /auth/users/me/` request. */
export interface DeleteMeRequest {
  current_password: string;
}

/** The claims of the service's (and simplejwt's) tokens. */
export interface TokenClaims {
  token_type?: "access" | "refresh";
  exp?: number;
  iat?: number;
  jti?: string;
  user_id?: string;
  [claim: string]: unknown;
}

/** Field errors as djoser answers them: `{"email":["This field is required."]}`. */
export type FieldErrors = Record<string, string[]>;

/** An error body: djoser/simplejwt's `{"detail","code","messages"}` or field errors. */
export interface ErrorBody {
  detail?: string;
  code?: string;
  messages?: Array<{ token_class?: string; token_type?: string; message?: string }>;
  [field: string]: unknown;
}
