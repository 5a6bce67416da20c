// The storage adapters and helpers, without a server.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AuthClient, MemoryStorage, WebStorage, decodeClaims, parseRetryAfter } from "../../dist/index.js";
import { PreferencesStorage } from "../../dist/capacitor/index.js";

/** The three calls every adapter must get right. */
async function roundTrip(storage) {
  assert.equal(await storage.get("k"), null);
  await storage.set("k", "v1");
  await storage.set("k", "v2");
  assert.equal(await storage.get("k"), "v2");
  await storage.remove("k");
  assert.equal(await storage.get("k"), null);
}

test("MemoryStorage", () => roundTrip(new MemoryStorage()));

test("WebStorage on a Storage", () => {
  const items = new Map();
  const fake = {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
  };
  return roundTrip(new WebStorage(fake));
});

test("WebStorage without localStorage fails on use, not on construction", async () => {
  const storage = new WebStorage();
  await assert.rejects(storage.get("k"), /localStorage/);
});

test("PreferencesStorage on an injected Preferences", () => {
  const items = new Map();
  const prefs = {
    get: async ({ key }) => ({ value: items.has(key) ? items.get(key) : null }),
    set: async ({ key, value }) => void items.set(key, value),
    remove: async ({ key }) => void items.delete(key),
  };
  return roundTrip(new PreferencesStorage(prefs));
});

test("tokens saved by one instance are read by another (a reload), under the configured key", async () => {
  const storage = new MemoryStorage();
  const access = jwt({ token_type: "access", iat: 1_700_000_000, exp: 1_700_000_300 });
  const refresh = jwt({ token_type: "refresh", iat: 1_700_000_000, exp: 4_000_000_000 });
  await new AuthClient({ baseUrl: "http://api.test", storage, storageKey: "app.auth" }).setTokens({ access, refresh });
  assert.deepEqual(JSON.parse(await storage.get("app.auth")), { access, refresh, accessExpiresAt: 1_700_000_300_000 });
  const reloaded = new AuthClient({ baseUrl: "http://api.test/", storage, storageKey: "app.auth" });
  assert.deepEqual(await reloaded.getTokens(), { access, refresh });
  assert.equal(await reloaded.isSignedIn(), true);
  assert.equal(reloaded.baseUrl, "http://api.test");
});

test("decodeClaims and parseRetryAfter", () => {
  assert.deepEqual(decodeClaims(jwt({ user_id: "é", exp: 1 })), { user_id: "é", exp: 1 });
  assert.equal(decodeClaims("garbage"), undefined);
  assert.equal(parseRetryAfter("7"), 7);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 0), 10);
});

/** An unsigned JWT with these claims: the client never checks signatures. */
function jwt(claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}.sig`;
}
