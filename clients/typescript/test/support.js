// Shared by the tests: the stack's URL, throwaway users, and a fetch that records requests.
import { randomUUID } from "node:crypto";

import { decodeClaims } from "../dist/index.js";

/** The API under test: `make run` or the stack infra/clienttest starts. */
export const BASE_URL = (() => {
  const url = process.env.BASE_URL;
  if (!url) throw new Error("BASE_URL is not set: start the API (PORT=3999 FRESH=1 ACCESS_TOKEN_LIFETIME=3s make run) and set BASE_URL=http://127.0.0.1:3999");
  return url.replace(/\/+$/, "");
})();

export const PASSWORD = "An0ther-Passw0rd!";

/** A new account's registration body (the e-mail is unique per call). */
export function newUser(tag = "node") {
  return { email: `${tag}-${randomUUID()}@example.com`, password: PASSWORD, first_name: "Ada", last_name: "Lovelace" };
}

/**
 * A fetch that records every request (method, path, JSON body, Authorization) before doing it.
 * `intercept(req, record, realFetch)`, if given, replaces the real call for a request.
 */
export function recordingFetch(intercept) {
  const requests = [];
  const fetchFn = async (input, init) => {
    const req = new Request(input, init);
    const text = req.method === "GET" || req.method === "HEAD" ? "" : await req.clone().text();
    const record = {
      method: req.method,
      path: new URL(req.url).pathname,
      body: text ? JSON.parse(text) : undefined,
      auth: req.headers.get("authorization"),
      status: undefined,
    };
    requests.push(record);
    const res = intercept ? await intercept(req, record, fetch) : await fetch(req);
    record.status = res.status;
    return res;
  };
  return {
    fetch: fetchFn,
    requests,
    /** The requests to a path. */
    to: (path) => requests.filter((r) => r.path === path),
  };
}

/** Resolves once the server, whose clock is this machine's, treats the access token as expired. */
export async function untilExpired(access) {
  const { exp } = decodeClaims(access);
  const wait = exp * 1000 + 50 - Date.now();
  if (wait > 10_000) throw new Error(`the access token lives ${Math.round(wait / 1000)} s: start the API with ACCESS_TOKEN_LIFETIME=3s`);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
