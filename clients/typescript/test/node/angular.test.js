// The Angular adapter at run time, against the real API: a real HttpClient (fetch backend)
// with authInterceptor, the Router and the guards, in an environment injector (no DOM).
import "@angular/compiler"; // Angular's packages are partially compiled: outside the CLI they need the JIT compiler
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { HttpClient, HttpErrorResponse, HttpResponse, provideHttpClient, withFetch, withInterceptors } from "@angular/common/http";
import { provideLocationMocks } from "@angular/common/testing";
import { DOCUMENT, createEnvironmentInjector, platformCore, provideZonelessChangeDetection, runInInjectionContext, ɵINJECTOR_SCOPE } from "@angular/core";
import { Router, provideRouter } from "@angular/router";
import { firstValueFrom, of, tap } from "rxjs";

import { AuthClient, authInterceptor, autoLoginGuard, provideAuth, signedInGuard } from "../../dist/angular/index.js";
import { MemoryStorage } from "../../dist/index.js";
import { BASE_URL, newUser, recordingFetch, untilExpired } from "../support.js";

const ME = `${BASE_URL}/auth/users/me/`;
const REFRESH = "/auth/jwt/refresh/";
const platform = platformCore();

/** An app's root injector: HttpClient with the interceptor, a Router, provideAuth. */
function app(config = {}) {
  const rec = recordingFetch(); // the client's own calls (login, refresh)
  const sent = []; // what HttpClient sent, after the interceptor
  const record = (req, next) => {
    const entry = { url: req.url, auth: req.headers.get("Authorization"), status: undefined };
    sent.push(entry);
    // Requests elsewhere never leave the process.
    if (!req.url.startsWith(BASE_URL)) return of(new HttpResponse({ status: 204, url: req.url }));
    return next(req).pipe(
      tap({
        next: (e) => e instanceof HttpResponse && (entry.status = e.status),
        error: (e) => (entry.status = e.status),
      }),
    );
  };
  const injector = createEnvironmentInjector(
    [
      { provide: ɵINJECTOR_SCOPE, useValue: "root" }, // what bootstrapApplication sets up
      { provide: DOCUMENT, useValue: { title: "" } }, // the Router's title strategy reads it
      provideZonelessChangeDetection(),
      provideHttpClient(withFetch(), withInterceptors([authInterceptor, record])),
      provideRouter([
        { path: "login", children: [] },
        { path: "home", children: [] },
      ]),
      provideLocationMocks(),
      provideAuth({ baseUrl: BASE_URL, storage: new MemoryStorage(), fetch: rec.fetch, homeUrl: "/home", ...config }),
    ],
    platform.injector,
  );
  const http = injector.get(HttpClient);
  return {
    injector,
    auth: injector.get(AuthClient),
    router: injector.get(Router),
    get: (url) => firstValueFrom(http.get(url)),
    rec,
    sent,
  };
}

async function signedInApp(config) {
  const a = app(config);
  const user = newUser("angular");
  await a.auth.register(user);
  await a.auth.login(user);
  return { ...a, user };
}

describe("Angular adapter", { concurrency: true }, () => {
  test("5 concurrent requests with an expired token: one refresh, all succeed", async () => {
    const { auth, get, rec, sent, user } = await signedInApp();
    const first = await auth.getTokens();
    await untilExpired(first.access);
    const replies = await Promise.all(Array.from({ length: 5 }, () => get(ME)));
    for (const me of replies) assert.equal(me.email, user.email);
    assert.equal(rec.to(REFRESH).length, 1);
    const second = await auth.getTokens();
    assert.notEqual(second.refresh, first.refresh);
    assert.deepEqual(
      sent.map((s) => [s.auth, s.status]),
      Array(5).fill([`Bearer ${second.access}`, 200]),
    );
  });

  test("5 concurrent 401s (the device's clock is behind): one refresh, each request retried once", async () => {
    const storage = new MemoryStorage();
    const { auth, user } = await signedInApp({ storage });
    const first = await auth.getTokens();
    await untilExpired(first.access);

    const behind = app({ storage, now: () => Date.now() - 3_600_000 });
    const replies = await Promise.all(Array.from({ length: 5 }, () => behind.get(ME)));
    for (const me of replies) assert.equal(me.email, user.email);
    assert.equal(behind.rec.to(REFRESH).length, 1);
    const second = await behind.auth.getTokens();
    assert.equal(behind.sent.filter((s) => s.auth === `Bearer ${first.access}` && s.status === 401).length, 5);
    assert.equal(behind.sent.filter((s) => s.auth === `Bearer ${second.access}` && s.status === 200).length, 5);
  });

  test("a refused refresh: the app gets the 401, the client signs out, the router goes to /login", async () => {
    const { auth, get, rec, router, user } = await signedInApp();
    const other = new AuthClient({ baseUrl: BASE_URL });
    await other.login(user);
    await other.logoutAll();

    const err = await get(ME).catch((e) => e);
    assert.ok(err instanceof HttpErrorResponse, `${err}`);
    assert.equal(err.status, 401);
    assert.equal(rec.to(REFRESH).length, 1);
    assert.equal(await auth.isSignedIn(), false);
    for (let i = 0; i < 100 && router.url !== "/login"; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(router.url, "/login");
  });

  test("the token goes only to the API, never to its token endpoints or other hosts", async () => {
    const { auth, injector, sent } = await signedInApp();
    const http = injector.get(HttpClient);
    await firstValueFrom(http.post(`${BASE_URL}/auth/jwt/verify/`, { token: (await auth.getTokens()).refresh }));
    await firstValueFrom(http.get("https://other.example/data"));
    assert.deepEqual(
      sent.map((s) => s.auth),
      [null, null],
    );
  });

  test("signedInGuard and autoLoginGuard", async () => {
    const a = app();
    const guard = (g) => runInInjectionContext(a.injector, () => g()).then(String);
    assert.equal(await guard(signedInGuard), "/login");
    assert.equal(await guard(autoLoginGuard), "true");
    const user = newUser("angular");
    await a.auth.register(user);
    await a.auth.login(user);
    assert.equal(await guard(signedInGuard), "true");
    assert.equal(await guard(autoLoginGuard), "/home");
  });
});
