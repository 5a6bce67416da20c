// The client against the real API (BASE_URL), with access tokens living a few seconds. Each test has
// its own user, so the tests run concurrently and their waits for expiry overlap.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  AuthClient,
  MemoryStorage,
  NetworkError,
  NotSignedInError,
  ThrottledError,
  TokenNotValidError,
  UnauthorizedError,
  ValidationError,
} from "../../dist/index.js";
import { BASE_URL, PASSWORD, newUser, recordingFetch, untilExpired } from "../support.js";

const ME = "/auth/users/me/";
const REFRESH = "/auth/jwt/refresh/";
const KEY = "jwtauth.session";

/** A signed-in client on storage, recording its requests. */
async function signedIn({ storage = new MemoryStorage(), intercept, ...options } = {}) {
  const rec = recordingFetch(intercept);
  const client = new AuthClient({ baseUrl: BASE_URL, storage, fetch: rec.fetch, ...options });
  const user = newUser();
  await client.register(user);
  await client.login({ email: user.email, password: user.password });
  return { client, rec, storage, user };
}

async function stored(storage) {
  const raw = await storage.get(KEY);
  return raw === null ? null : JSON.parse(raw);
}

function times(n, fn) {
  return Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
}

describe("token refresh against the API", { concurrency: true }, () => {
  test("10 concurrent calls with an expired access token: one refresh, all succeed, the rotated pair is saved and the old refresh token never sent again, across a reload too", async () => {
    const { client, rec, storage, user } = await signedIn();
    const first = await stored(storage);
    await untilExpired(first.access);

    const replies = await times(10, () => client.authFetch(ME));
    assert.deepEqual(
      replies.map((r) => r.status),
      Array(10).fill(200),
    );
    for (const r of replies) assert.equal((await r.json()).email, user.email);
    assert.equal(rec.to(REFRESH).length, 1, "one refresh for 10 callers");
    assert.equal(rec.to(REFRESH)[0].body.refresh, first.refresh);

    const second = await stored(storage);
    assert.notEqual(second.refresh, first.refresh, "the rotated refresh token is saved");
    assert.notEqual(second.access, first.access);
    assert.deepEqual(await client.getTokens(), { access: second.access, refresh: second.refresh });
    // The refresh happened before the calls (the token was known to be expired): none was rejected.
    assert.deepEqual(
      rec.to(ME).map((r) => [r.status, r.auth]),
      Array(10).fill([200, `Bearer ${second.access}`]),
    );

    // A reload: a new client instance on the same storage.
    const reloaded = new AuthClient({ baseUrl: BASE_URL, storage, fetch: rec.fetch });
    await untilExpired(second.access);
    const again = await times(10, () => reloaded.authFetch(ME));
    assert.deepEqual(
      again.map((r) => r.status),
      Array(10).fill(200),
    );
    const refreshes = rec.to(REFRESH);
    assert.equal(refreshes.length, 2, "one refresh per expiry");
    assert.equal(refreshes[1].body.refresh, second.refresh, "the reloaded client sends the rotated token");
    const third = await stored(storage);
    assert.notEqual(third.refresh, second.refresh);

    const sentAfterRotation = rec.requests.slice(rec.requests.indexOf(refreshes[0]) + 1);
    assert.ok(
      sentAfterRotation.every((r) => JSON.stringify(r.body ?? {}).indexOf(first.refresh) === -1),
      "the first refresh token is never sent again",
    );
    assert.equal((await reloaded.me()).email, user.email);
  });

  test("10 concurrent 401s (the device's clock is an hour behind, after a reload): one refresh, each request retried once and succeeding", async () => {
    const { storage, user } = await signedIn();
    const first = await stored(storage);
    await untilExpired(first.access);

    const rec = recordingFetch();
    const behind = new AuthClient({ baseUrl: BASE_URL, storage, fetch: rec.fetch, now: () => Date.now() - 3_600_000 });
    const replies = await times(10, () => behind.authFetch(ME));
    assert.deepEqual(
      replies.map((r) => r.status),
      Array(10).fill(200),
    );
    for (const r of replies) assert.equal((await r.json()).email, user.email);
    assert.equal(rec.to(REFRESH).length, 1, "one refresh for 10 rejected calls");
    const second = await stored(storage);
    assert.notEqual(second.refresh, first.refresh);
    const me = rec.to(ME);
    assert.equal(me.length, 20, "each call sent twice: the expired token, then the new one");
    assert.equal(me.filter((r) => r.status === 401 && r.auth === `Bearer ${first.access}`).length, 10);
    assert.equal(me.filter((r) => r.status === 200 && r.auth === `Bearer ${second.access}`).length, 10);
  });

  test("a refresh whose response is lost is retried with the same token and the session continues", async () => {
    let lost;
    const { client, rec, storage, user } = await signedIn({
      // The request reaches the server, which rotates; the answer never reaches the client.
      intercept: async (req, record, realFetch) => {
        const res = await realFetch(req);
        if (record.path === REFRESH && lost === undefined) {
          lost = await res.json();
          throw new TypeError("fetch failed (response dropped by the test)");
        }
        return res;
      },
    });
    const first = await stored(storage);
    await untilExpired(first.access);

    assert.equal((await client.me()).email, user.email);
    const refreshes = rec.to(REFRESH);
    assert.equal(refreshes.length, 2, "the lost refresh was retried");
    assert.deepEqual(
      refreshes.map((r) => r.body.refresh),
      [first.refresh, first.refresh],
    );
    const second = await stored(storage);
    assert.equal(second.refresh, lost.refresh, "the retry got the successor the lost response carried");

    // The chain goes on: no reuse was detected.
    await untilExpired(second.access);
    assert.equal((await client.me()).email, user.email);
    assert.equal(rec.to(REFRESH).at(-1).body.refresh, second.refresh);
    assert.notEqual((await stored(storage)).refresh, second.refresh);
  });

  test("a network error on refresh keeps the session; the next call refreshes with the same token", async () => {
    let offline = true;
    const { client, rec, storage, user } = await signedIn({
      refreshRetries: 1,
      intercept: (req, record, realFetch) => {
        if (offline && record.path === REFRESH) throw new TypeError("fetch failed (offline)");
        return realFetch(req);
      },
    });
    const first = await stored(storage);
    await untilExpired(first.access);

    await assert.rejects(client.authFetch(ME), NetworkError);
    assert.equal(rec.to(REFRESH).length, 2, "tried, then retried once");
    assert.deepEqual(await stored(storage), first, "still signed in, nothing changed");

    offline = false;
    assert.equal((await client.me()).email, user.email);
    assert.deepEqual(
      rec.to(REFRESH).map((r) => r.body.refresh),
      [first.refresh, first.refresh, first.refresh],
    );
  });

  test("a refused refresh token (logout everywhere from another device) signs out once and clears storage", async () => {
    const { client, rec, storage, user } = await signedIn();
    const signOuts = [];
    client.on("signedOut", (e) => signOuts.push(e.reason));

    const other = new AuthClient({ baseUrl: BASE_URL });
    await other.login({ email: user.email, password: user.password });
    await other.logoutAll();

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => client.authFetch(ME)));
    // The callers that waited for the refresh get its 401; a caller whose own 401 arrived
    // after the sign-out finds no session.
    for (const r of results) {
      assert.equal(r.status, "rejected");
      assert.ok(r.reason instanceof TokenNotValidError || r.reason instanceof NotSignedInError, `${r.reason}`);
    }
    assert.ok(results.some((r) => r.reason instanceof TokenNotValidError));
    assert.equal(rec.to(REFRESH).length, 1, "one refresh, refused");
    assert.equal(rec.to(REFRESH)[0].status, 401);
    assert.deepEqual(signOuts, ["refresh_refused"]);
    assert.equal(await storage.get(KEY), null, "storage cleared");
    assert.equal(await client.isSignedIn(), false);

    const before = rec.requests.length;
    await assert.rejects(client.authFetch(ME), NotSignedInError);
    assert.equal(rec.requests.length, before, "no request without a session");
  });
});

describe("endpoints", { concurrency: true }, () => {
  test("register, login, me, updateMe, setPassword, verify, logout", async () => {
    const { client, rec, storage, user } = await signedIn();
    const me = await client.me();
    assert.deepEqual(Object.keys(me).sort(), ["email", "first_name", "id", "last_name"]);
    assert.equal(me.email, user.email);

    const updated = await client.updateMe({ first_name: "Grace" });
    assert.equal(updated.first_name, "Grace");
    assert.equal(updated.last_name, user.last_name);

    const newPassword = "Brand-New-Secret-42";
    await client.setPassword({ current_password: PASSWORD, new_password: newPassword });
    assert.equal((await client.me()).first_name, "Grace", "set_password keeps the caller's session");
    await assert.rejects(new AuthClient({ baseUrl: BASE_URL }).login({ email: user.email, password: PASSWORD }), UnauthorizedError);

    const { refresh } = await stored(storage);
    await client.verify(refresh);
    const signOuts = [];
    client.on("signedOut", (e) => signOuts.push(e.reason));
    await client.logout();
    assert.deepEqual(signOuts, ["logout"]);
    assert.equal(await storage.get(KEY), null);
    assert.deepEqual(rec.to("/auth/jwt/blacklist/").at(-1).body, { refresh });
    await assert.rejects(client.verify(refresh), TokenNotValidError, "the session is revoked on the server");
    await assert.rejects(client.me(), NotSignedInError);

    await client.login({ email: user.email, password: newPassword });
    assert.equal((await client.me()).email, user.email);
  });

  test("errors are typed: field errors, wrong credentials, token_not_valid, throttling, network", async () => {
    const client = new AuthClient({ baseUrl: BASE_URL });

    const invalid = await client.register({ email: "not-an-email", password: "x" }).catch((e) => e);
    assert.ok(invalid instanceof ValidationError, `${invalid}`);
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.fields.first_name, ["This field is required."], JSON.stringify(invalid.fields));
    assert.ok(invalid.fields.email?.length, JSON.stringify(invalid.fields));

    const user = newUser();
    await client.register(user);
    const dup = await client.register(user).catch((e) => e);
    assert.ok(dup instanceof ValidationError);
    assert.deepEqual(dup.fields, { email: ["user with this email already exists."] });

    const wrong = await client.login({ email: user.email, password: "wrong-password" }).catch((e) => e);
    assert.ok(wrong instanceof UnauthorizedError && !(wrong instanceof TokenNotValidError), `${wrong}`);
    assert.equal(wrong.detail, "No active account found with the given credentials");

    const bad = await client.verify("not.a.token").catch((e) => e);
    assert.ok(bad instanceof TokenNotValidError, `${bad}`);
    assert.equal(bad.code, "token_not_valid");

    // Five failures are free; the next login waits.
    const unknown = newUser("throttled");
    let throttled;
    for (let i = 0; i < 8 && !throttled; i++) {
      const err = await client.login({ email: unknown.email, password: "wrong-password" }).catch((e) => e);
      if (err instanceof ThrottledError) throttled = err;
      else assert.ok(err instanceof UnauthorizedError, `${err}`);
    }
    assert.ok(throttled, "throttled after repeated failures");
    assert.equal(throttled.status, 429);
    assert.ok(throttled.retryAfter >= 1, `retryAfter ${throttled.retryAfter}`);

    // Nothing listens on port 9 (discard) of the loopback address.
    const offline = await new AuthClient({ baseUrl: "http://127.0.0.1:9" }).login(user).catch((e) => e);
    assert.ok(offline instanceof NetworkError, `${offline}`);
  });

  test("logoutAll and deleteMe sign out", async () => {
    const a = await signedIn();
    const reasons = [];
    a.client.on("signedOut", (e) => reasons.push(e.reason));
    await a.client.logoutAll();
    assert.equal(await a.storage.get(KEY), null);

    await a.client.login({ email: a.user.email, password: PASSWORD });
    await a.client.deleteMe({ current_password: PASSWORD });
    assert.deepEqual(reasons, ["logout_all", "deleted"]);
    await assert.rejects(a.client.login({ email: a.user.email, password: PASSWORD }), UnauthorizedError);
  });
});
