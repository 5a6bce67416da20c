/**
 * Where the client keeps the session: a small async key-value store, so localStorage,
 * Capacitor Preferences (`@jwtauth/client/capacitor`), IndexedDB or a secure-storage plugin
 * all fit. The client writes one key (both tokens in one value, so a rotated pair is never
 * half-saved).
 */
export interface TokenStorage {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
}

/** Keeps the session in memory only: gone on reload. Tests, or apps that want no persistence. */
export class MemoryStorage implements TokenStorage {
  readonly #items = new Map<string, string>();

  async get(key: string): Promise<string | null> {
    return this.#items.get(key) ?? null;
  }
  async set(key: string, value: string): Promise<void> {
    this.#items.set(key, value);
  }
  async remove(key: string): Promise<void> {
    this.#items.delete(key);
  }
}

/**
 * Keeps the session in `localStorage` (or another Web Storage such as `sessionStorage`).
 * The storage is looked up on use, not on construction, so creating one during server-side
 * rendering does not throw.
 */
export class WebStorage implements TokenStorage {
  constructor(private readonly storage?: Storage) {}

  #store(): Storage {
    const s = this.storage ?? globalThis.localStorage;
    if (!s) throw new Error("@jwtauth/client: WebStorage needs localStorage, which this environment lacks; use MemoryStorage or pass a Storage");
    return s;
  }
  async get(key: string): Promise<string | null> {
    return this.#store().getItem(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.#store().setItem(key, value);
  }
  async remove(key: string): Promise<void> {
    this.#store().removeItem(key);
  }
}
