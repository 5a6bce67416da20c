import { ApiError, NetworkError, NotSignedInError, errorFromResponse } from "./errors.js";
import { decodeClaims } from "./jwt.js";
import { MemoryStorage, type TokenStorage } from "./storage.js";
import type {
  DeleteMeRequest,
  LoginRequest,
  RegisterRequest,
  SetEmailRequest,
  SetPasswordRequest,
  TokenPair,
  UpdateMeRequest,
  User,
} from "./types.js";

export interface AuthClientOptions {
  /** The API's base URL, such as `https://abc123.execute-api.eu-west-1.amazonaws.com` or `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Where the session lives; default in memory (lost on reload). */
  storage?: TokenStorage;
  /** The storage key of the session; default `jwtauth.session`. */
  storageKey?: string;
  /** The fetch to use; default the global one (looked up on every call). */
  fetch?: typeof globalThis.fetch;
  /**
   * Refresh this many milliseconds before the access token expires (default 30 000), at most a
   * quarter of the token's lifetime, so short-lived tokens are not refreshed on every call.
   */
  refreshMargin?: number;
  /** How often a refresh is retried after a network error or a 502/503/504 (default 3). */
  refreshRetries?: number;
  /** The clock, in milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
}

/** Why the session ended. */
export type SignOutReason =
  | "logout" // logout()
  | "logout_all" // logoutAll()
  | "deleted" // deleteMe()
  | "refresh_refused" // the server answered 401 to the refresh token: revoked, reused or expired
  | "storage_cleared"; // another client instance or tab on the same storage signed out

export interface AuthEvents {
  signedIn: { tokens: TokenPair };
  signedOut: { reason: SignOutReason };
  /** Both tokens were rotated and saved. */
  refreshed: { tokens: TokenPair };
}

/** The session as stored: both tokens in one value, and when the access token expires on this device's clock. */
interface Session {
  access: string;
  refresh: string;
  /** Milliseconds since the epoch, by this device's clock (see expiresAt). */
  accessExpiresAt: number;
}

const JSON_HEADERS = { "Content-Type": "application/json", Accept: "application/json" };

/**
 * The client of the jwtauth API (and of djoser + simplejwt): typed calls for every endpoint,
 * and `authFetch` for the app's own API. It refreshes the access token shortly before it
 * expires and on a 401, with one refresh for any number of concurrent callers, saves both
 * rotated tokens before retrying, retries a refresh whose response was lost with the same
 * refresh token, and signs out only when the server refuses the refresh token.
 */
export class AuthClient {
  readonly baseUrl: string;
  readonly #storage: TokenStorage;
  readonly #key: string;
  readonly #fetchImpl: typeof globalThis.fetch | undefined;
  readonly #margin: number;
  readonly #retries: number;
  readonly #now: () => number;

  /** undefined until read from storage; null when signed out. */
  #session: Session | null | undefined;
  #loading: Promise<Session | null> | undefined;
  /** The one refresh in flight, shared by every caller. */
  #refreshing: Promise<Session> | undefined;
  /** Bumped on every sign-in and sign-out, so a refresh that outlives its session is not saved. */
  #generation = 0;
  readonly #listeners: { [K in keyof AuthEvents]: Set<(e: AuthEvents[K]) => void> } = {
    signedIn: new Set(),
    signedOut: new Set(),
    refreshed: new Set(),
  };

  constructor(options: AuthClientOptions) {
    if (!options.baseUrl) throw new TypeError("AuthClient: baseUrl is required");
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#storage = options.storage ?? new MemoryStorage();
    this.#key = options.storageKey ?? "jwtauth.session";
    this.#fetchImpl = options.fetch;
    this.#margin = options.refreshMargin ?? 30_000;
    this.#retries = options.refreshRetries ?? 3;
    this.#now = options.now ?? Date.now;
  }

  // ---- events

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof AuthEvents>(event: K, listener: (e: AuthEvents[K]) => void): () => void {
    const set = this.#listeners[event] as Set<(e: AuthEvents[K]) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  #emit<K extends keyof AuthEvents>(event: K, e: AuthEvents[K]): void {
    for (const listener of this.#listeners[event] as Set<(e: AuthEvents[K]) => void>) {
      try {
        listener(e);
      } catch (err) {
        // A listener's bug must not break the session logic; surface it as an uncaught error.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  // ---- endpoints

  /** `POST /auth/users/`: creates the account (does not sign in). */
  register(req: RegisterRequest): Promise<User> {
    return this.#call<User>("POST", "/auth/users/", req, false);
  }

  /** `POST /auth/jwt/create/`: signs in and saves both tokens. */
  async login(req: LoginRequest): Promise<TokenPair> {
    const tokens = await this.#call<TokenPair>("POST", "/auth/jwt/create/", req, false);
    const receivedAt = this.#now();
    checkTokenPair(tokens, undefined);
    ++this.#generation; // a refresh of the previous session still in flight is not saved
    await this.#save(tokens, receivedAt);
    this.#emit("signedIn", { tokens });
    return tokens;
  }

  /** `GET /auth/users/me/`. */
  me(): Promise<User> {
    return this.#call<User>("GET", "/auth/users/me/", undefined, true);
  }

  /** `PATCH /auth/users/me/`: changes the given fields. */
  updateMe(req: UpdateMeRequest): Promise<User> {
    return this.#call<User>("PATCH", "/auth/users/me/", req, true);
  }

  /** `POST /auth/users/set_password/`: every other session of the user ends; this one stays. */
  async setPassword(req: SetPasswordRequest): Promise<void> {
    await this.#call<void>("POST", "/auth/users/set_password/", req, true);
  }

  /** `POST /auth/users/set_email/`. */
  async setEmail(req: SetEmailRequest): Promise<void> {
    await this.#call<void>("POST", "/auth/users/set_email/", req, true);
  }

  /** `DELETE /auth/users/me/`: deletes the account, then signs out (`deleted`). */
  async deleteMe(req: DeleteMeRequest): Promise<void> {
    await this.#call<void>("DELETE", "/auth/users/me/", req, true);
    await this.#signOut("deleted");
  }

  /**
   * `POST /auth/jwt/blacklist/`: ends this session on the server, then signs out (`logout`).
   * The local session is cleared even when the server cannot be reached (the error is
   * rethrown then); a 401 means the session had already ended and is not an error.
   */
  async logout(): Promise<void> {
    // Let a refresh in flight finish, so the newest refresh token is the one revoked.
    await this.#refreshing?.catch(() => undefined);
    const session = await this.#load();
    if (!session) return;
    try {
      const res = await this.#fetch(this.#url("/auth/jwt/blacklist/"), {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ refresh: session.refresh }),
      });
      if (!res.ok && res.status !== 401) throw await errorFromResponse(res);
    } finally {
      await this.#signOut("logout");
    }
  }

  /** `POST /auth/users/logout_all/`: ends every session of the user, this one included (`logout_all`). */
  async logoutAll(): Promise<void> {
    await this.#call<void>("POST", "/auth/users/logout_all/", undefined, true);
    await this.#signOut("logout_all");
  }

  /** `POST /auth/jwt/verify/`: resolves when the server accepts the token, else rejects (TokenNotValidError). */
  async verify(token: string): Promise<void> {
    await this.#call<void>("POST", "/auth/jwt/verify/", { token }, false);
  }

  // ---- session

  /** Whether a session is stored whose refresh token has not expired. */
  async isSignedIn(): Promise<boolean> {
    const s = await this.#load();
    if (!s) return false;
    const exp = decodeClaims(s.refresh)?.exp;
    return typeof exp !== "number" || exp * 1000 > this.#now();
  }

  /** The stored tokens, or null when signed out. */
  async getTokens(): Promise<TokenPair | null> {
    const s = await this.#load();
    return s ? { access: s.access, refresh: s.refresh } : null;
  }

  /**
   * Adopts tokens obtained elsewhere, for example the ones an older version of the app kept
   * under its own storage keys, and signs in with them.
   */
  async setTokens(tokens: TokenPair): Promise<void> {
    checkTokenPair(tokens, undefined);
    ++this.#generation;
    await this.#save(tokens, undefined);
    this.#emit("signedIn", { tokens });
  }

  /**
   * An access token that is not about to expire (refreshed first if it is), or null when
   * signed out. For HTTP clients other than authFetch (the Angular interceptor uses it).
   */
  async accessToken(): Promise<string | null> {
    try {
      return (await this.#validSession()).access;
    } catch (err) {
      if (err instanceof NotSignedInError) return null;
      throw err;
    }
  }

  /**
   * After the server answered 401 to `rejected`: an access token newer than it. Joins the
   * refresh in flight, or takes the token another caller's refresh already saved, or runs the
   * one refresh. Rejects (and signs out) when the refresh token is refused.
   */
  async refreshAfterUnauthorized(rejected: string): Promise<string> {
    if (this.#refreshing) return (await this.#refreshing).access;
    const s = await this.#load();
    if (!s) throw new NotSignedInError();
    if (s.access !== rejected) return s.access;
    return (await this.#refresh()).access;
  }

  /** Refreshes now (joining a refresh in flight) and returns the saved pair. */
  async refresh(): Promise<TokenPair> {
    const s = await this.#refresh();
    return { access: s.access, refresh: s.refresh };
  }

  /**
   * fetch with the session: adds `Authorization: Bearer <access>`, refreshes first when the
   * access token is about to expire, and on a 401 refreshes (once for all concurrent callers)
   * and retries the request once. A string starting with `/` is a path on baseUrl. Resolves
   * with the response whatever its status, like fetch; rejects with TokenNotValidError when
   * the refresh token was refused (the client has signed out), NotSignedInError without a
   * session (also when it ended while this request was in flight), NetworkError when there
   * was no answer.
   */
  async authFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    if (typeof input === "string" && input.startsWith("/") && !input.startsWith("//")) input = this.#url(input);
    // Built once, cloned per attempt, so a body can be sent again on the retry.
    const template = new Request(input, init);
    const session = await this.#validSession();
    const res = await this.#send(template, session.access);
    if (res.status !== 401) return res;
    const access = await this.refreshAfterUnauthorized(session.access);
    await res.body?.cancel().catch(() => undefined);
    return this.#send(template, access);
  }

  async #send(template: Request, access: string): Promise<Response> {
    const req = template.clone();
    req.headers.set("Authorization", `Bearer ${access}`);
    return this.#fetch(req);
  }

  /** The session, refreshed first when its access token is due. */
  async #validSession(): Promise<Session> {
    const s = await this.#load();
    if (!s) throw new NotSignedInError();
    if (!this.#refreshing && !this.#refreshDue(s)) return s;
    try {
      return await this.#refresh(); // joins a refresh in flight: one for every caller
    } catch (err) {
      // The refresh endpoint is unreachable but the token has not expired yet: use it.
      const transient = err instanceof NetworkError || (err instanceof ApiError && err.status >= 500);
      if (transient && this.#now() < s.accessExpiresAt && this.#session === s) return s;
      throw err;
    }
  }

  #refreshDue(s: Session): boolean {
    const claims = decodeClaims(s.access);
    const lifetime = typeof claims?.exp === "number" && typeof claims.iat === "number" ? (claims.exp - claims.iat) * 1000 : Infinity;
    return this.#now() >= s.accessExpiresAt - Math.min(this.#margin, lifetime / 4);
  }

  #refresh(): Promise<Session> {
    this.#refreshing ??= this.#runRefresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #runRefresh(): Promise<Session> {
    const generation = this.#generation;
    const held = this.#session;
    // Storage is the truth: another instance or tab on it may have rotated (or signed out)
    // already, and presenting its old refresh token again would look like token reuse.
    const stored = await this.#read();
    if (!stored) {
      if (held) {
        this.#session = null;
        this.#emit("signedOut", { reason: "storage_cleared" });
      }
      throw new NotSignedInError();
    }
    if (held && stored.refresh !== held.refresh) {
      this.#session = stored;
      if (!this.#refreshDue(stored)) return stored;
    }

    const tokens = await this.#postRefresh(stored.refresh, generation);
    const receivedAt = this.#now();
    // Signed out (or in again) while the refresh was in flight: that outcome stands.
    if (generation !== this.#generation) {
      if (this.#session) return this.#session;
      throw new NotSignedInError();
    }
    const session = await this.#save(tokens, receivedAt);
    this.#emit("refreshed", { tokens });
    return session;
  }

  /** POST /auth/jwt/refresh/ with retries; signs out on 401. Never goes through authFetch. */
  async #postRefresh(refresh: string, generation: number): Promise<TokenPair> {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      let tokens: TokenPair;
      try {
        res = await this.#fetch(this.#url("/auth/jwt/refresh/"), {
          method: "POST",
          headers: JSON_HEADERS,
          body: JSON.stringify({ refresh }),
          cache: "no-store",
        });
        if (res.ok) {
          tokens = (await res.json()) as TokenPair;
          checkTokenPair(tokens, refresh);
          // simplejwt without ROTATE_REFRESH_TOKENS answers only {"access"}: keep the refresh token.
          return { access: tokens.access, refresh: tokens.refresh ?? refresh };
        }
      } catch (err) {
        if (err instanceof ApiError || isAbort(err)) throw err;
        // No answer, or the answer was cut off. Retrying with the same refresh token is safe:
        // the server hands a retried token the same successor.
        if (attempt >= this.#retries) throw err instanceof NetworkError ? err : new NetworkError("refresh: no answer", { cause: err });
        await sleep(backoff(attempt));
        continue;
      }
      if (res.status === 401) {
        const err = await errorFromResponse(res);
        // The one case that ends the session: the server refused the refresh token. Unless
        // the app signed out or in meanwhile: then that outcome stands.
        if (generation === this.#generation) await this.#signOut("refresh_refused");
        throw err;
      }
      const err = await errorFromResponse(res);
      if ([502, 503, 504].includes(res.status) && attempt < this.#retries) {
        await sleep(err.retryAfter !== undefined ? Math.min(err.retryAfter * 1000, 5_000) : backoff(attempt));
        continue;
      }
      throw err;
    }
  }

  // ---- storage

  #load(): Promise<Session | null> {
    if (this.#session !== undefined) return Promise.resolve(this.#session);
    this.#loading ??= this.#read().then((s) => {
      // A sign-in or sign-out during the read wins over what was read.
      if (this.#session === undefined) this.#session = s;
      return this.#session;
    });
    return this.#loading;
  }

  async #read(): Promise<Session | null> {
    const raw = await this.#storage.get(this.#key);
    if (raw === null) return null;
    try {
      const v = JSON.parse(raw) as Partial<Session>;
      if (typeof v.access !== "string" || typeof v.refresh !== "string") return null;
      const accessExpiresAt = typeof v.accessExpiresAt === "number" ? v.accessExpiresAt : this.#expiresAt(v.access, undefined);
      return { access: v.access, refresh: v.refresh, accessExpiresAt };
    } catch {
      return null;
    }
  }

  async #save(tokens: TokenPair, receivedAt: number | undefined): Promise<Session> {
    const session: Session = { access: tokens.access, refresh: tokens.refresh, accessExpiresAt: this.#expiresAt(tokens.access, receivedAt) };
    this.#session = session;
    await this.#storage.set(this.#key, JSON.stringify(session));
    return session;
  }

  async #signOut(reason: SignOutReason): Promise<void> {
    ++this.#generation;
    this.#session = null;
    await this.#storage.remove(this.#key);
    this.#emit("signedOut", { reason });
  }

  /**
   * When the access token expires, by this device's clock. For a token just received it is
   * the receipt time plus the token's lifetime (`exp - iat`), less a second because `iat` is
   * whole seconds: this needs no agreement between the device's clock and the server's. A
   * token of unknown age (setTokens, older storage) falls back to `exp` on the device's clock.
   */
  #expiresAt(access: string, receivedAt: number | undefined): number {
    const claims = decodeClaims(access);
    if (typeof claims?.exp !== "number") return Infinity; // not a JWT we can read: rely on 401s
    if (receivedAt !== undefined && typeof claims.iat === "number") return receivedAt + (claims.exp - claims.iat - 1) * 1000;
    return claims.exp * 1000;
  }

  // ---- HTTP

  #url(path: string): string {
    return this.baseUrl + path;
  }

  /** fetch, with "no answer" turned into NetworkError (an abort stays an AbortError). */
  async #fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    try {
      return await (this.#fetchImpl ?? globalThis.fetch)(input, init);
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new NetworkError(`${describe(input)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /** One JSON call: the typed result, or the typed error. */
  async #call<T>(method: string, path: string, body: unknown, auth: boolean): Promise<T> {
    const init: RequestInit = { method, headers: body === undefined ? { Accept: "application/json" } : JSON_HEADERS };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = auth ? await this.authFetch(path, init) : await this.#fetch(this.#url(path), init);
    if (!res.ok) throw await errorFromResponse(res);
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new NetworkError(`${method} ${path}: the response was cut off`, { cause: err });
    }
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }
}

function checkTokenPair(tokens: unknown, refreshing: string | undefined): asserts tokens is TokenPair {
  const t = tokens as Partial<TokenPair> | null;
  const ok =
    typeof t === "object" && t !== null && typeof t.access === "string" && (typeof t.refresh === "string" || (refreshing !== undefined && t.refresh === undefined));
  if (!ok) {
    const err = new ApiError(200, typeof tokens === "object" ? (tokens as never) : String(tokens));
    err.message = "the token response has no access or refresh token";
    throw err;
  }
}

function isAbort(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "AbortError";
}

function describe(input: RequestInfo | URL): string {
  return input instanceof Request ? `${input.method} ${input.url}` : String(input);
}

/** 250 ms, 500 ms, 1 s, 2 s, ... capped at 4 s. */
function backoff(attempt: number): number {
  return Math.min(250 * 2 ** attempt, 4_000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
