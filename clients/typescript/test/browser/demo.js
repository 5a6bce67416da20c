// The demo app: every button is one call of the client; results land in the page for the
// test (and a person) to read.
import { AuthClient, WebStorage } from "/dist/index.js";

const api = new URLSearchParams(location.search).get("api") ?? "http://127.0.0.1:3000";
const client = new AuthClient({ baseUrl: api, storage: new WebStorage() });
const $ = (id) => document.getElementById(id);
let round = 0;

function log(text) {
  const li = document.createElement("li");
  li.textContent = `${new Date().toISOString().slice(11, 23)} ${text}`;
  $("log").append(li);
}

function show(id, text) {
  $(id).textContent = text;
  log(`${id}: ${text}`);
}

/** Runs a button's action; an error is shown where its result would be. */
function button(id, out, action) {
  $(id).addEventListener("click", async () => {
    try {
      show(out, await action());
    } catch (err) {
      show(out, `error: ${err.name}: ${err.message}`);
    }
  });
}

const credentials = () => ({ email: $("email").value, password: $("password").value });

client.on("signedIn", () => show("status", "signed in"));
client.on("signedOut", (e) => show("status", `signed out (${e.reason})`));
client.on("refreshed", () => log("tokens refreshed"));

button("register", "status", async () => {
  await client.register({ ...credentials(), first_name: $("first_name").value, last_name: $("last_name").value });
  return "registered";
});
button("login", "status", async () => {
  await client.login(credentials());
  return "signed in";
});
button("me", "me-out", async () => {
  const me = await client.me();
  return `${me.first_name} ${me.last_name} <${me.email}>`;
});
button("parallel", "parallel-out", async () => {
  const n = ++round;
  const replies = await Promise.all(Array.from({ length: 5 }, () => client.authFetch("/auth/users/me/")));
  const ok = replies.filter((r) => r.ok).length;
  return `round ${n}: ${ok}/5 ok`;
});
button("logout", "status", async () => {
  await client.logout();
  return "signed out (logout)";
});

show("status", (await client.isSignedIn()) ? "signed in" : "signed out");
