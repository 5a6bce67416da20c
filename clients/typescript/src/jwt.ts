import type { TokenClaims } from "./types.js";

/**
 * The claims of a compact JWT, without verifying it (the server does that): the client only
 * reads `exp`/`iat` to refresh before expiry. Undefined when the token is not a JWT.
 */
export function decodeClaims(token: string): TokenClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === "object" && claims !== null && !Array.isArray(claims) ? (claims as TokenClaims) : undefined;
  } catch {
    return undefined;
  }
}
