import type { TokenStorage } from "../storage.js";

/**
 * The part of `@capacitor/preferences`' `Preferences` plugin the storage uses. Declared here
 * so neither the core nor this entry point's types need Capacitor installed.
 */
export interface PreferencesLike {
  get(options: { key: string }): Promise<{ value: string | null }>;
  set(options: { key: string; value: string }): Promise<void>;
  remove(options: { key: string }): Promise<void>;
}

/**
 * Keeps the session in Capacitor Preferences (SharedPreferences on Android, UserDefaults on
 * iOS, localStorage on the web). Pass `Preferences` from `@capacitor/preferences`, or nothing
 * to have it imported on first use (the package is an optional peer dependency).
 */
export class PreferencesStorage implements TokenStorage {
  #prefs: Promise<PreferencesLike> | undefined;

  constructor(preferences?: PreferencesLike) {
    if (preferences) this.#prefs = Promise.resolve(preferences);
  }

  #preferences(): Promise<PreferencesLike> {
    // Imported lazily so an app that passes its own instance (or never uses this class) never
    // loads the plugin.
    this.#prefs ??= import("@capacitor/preferences").then(
      (m) => m.Preferences,
      (err: unknown) => {
        this.#prefs = undefined;
        throw new Error("@jwtauth/client/capacitor: cannot import @capacitor/preferences; install it (npm install @capacitor/preferences) or pass Preferences to PreferencesStorage", { cause: err });
      },
    );
    return this.#prefs;
  }

  async get(key: string): Promise<string | null> {
    return (await (await this.#preferences()).get({ key })).value;
  }
  async set(key: string, value: string): Promise<void> {
    await (await this.#preferences()).set({ key, value });
  }
  async remove(key: string): Promise<void> {
    await (await this.#preferences()).remove({ key });
  }
}
