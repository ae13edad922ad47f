// The dashboard: the seeded accounts, apps, keys and users; a token minter; the request
// journal; the clock and reset controls.  It uses only the public control API
// (/_mocksmooch/...), the same calls a test or a script makes, so what it shows is what
// they would see.  No framework: a few helpers, then one function per panel.
"use strict";

// --- helpers (with common.js) ---------------------------------------------------------------

const POLL_MS = 1000;

// The scopes each kind of key owner may sign (mocksmooch/auth/principal.py SIGNABLE_SCOPES);
// the other scopes can still be minted, to test that the API refuses them.
const SIGNABLE = {
  app: ["app", "appUser", "user"],
  account: ["account", "app"],
  serviceAccount: ["account", "app"],
  integration: ["integration"],
};
const ALL_SCOPES = ["account", "app", "appUser", "integration", "user"];
const OWNER_SCOPE = { app: "app", account: "account", serviceAccount: "account", integration: "integration" };
const OWNER_WORD = { app: "app", account: "account", serviceAccount: "service account", integration: "integration" };

/** One control API call; the decoded answer, or an Error saying what the API said. */
async function control(method, path, body) {
  let response;
  for (;;) {
    const sent = sessionStorage.getItem(ADMIN_TOKEN_KEY);
    response = await fetch(new URL(path, CONTROL), {
      method,
      headers: { ...adminHeaders(), ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status !== 401 || !askAdminToken(sent)) break;
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const error = answer && answer.error;
    throw new Error(`${method} /_mocksmooch/${path}: ${response.status} ${(error && (error.message || error.code)) || ""}`);
  }
  return answer;
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain http on a non-loopback address is not a secure context: the old way still works.
  const area = el("textarea", { class: "offscreen" }, text);
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

function copyButton(getText, testid = "copy", label = "Copy") {
  const button = el("button", { type: "button", class: "small", "data-testid": testid }, label);
  button.addEventListener("click", guarded(async () => {
    await copyText(typeof getText === "function" ? getText() : getText);
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  }));
  return button;
}

/** base64url (no padding) to text, as JWT segments are encoded. */
function base64urlDecode(segment) {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(segment.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function decodeJwt(jwt) {
  const [header, claims] = jwt.split(".");
  return { header: JSON.parse(base64urlDecode(header)), claims: JSON.parse(base64urlDecode(claims)) };
}

function duration(seconds) {
  seconds = Math.round(Math.abs(seconds));
  const parts = [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]];
  const out = [];
  for (const [size, unit] of parts) {
    if (seconds >= size || (unit === "s" && out.length === 0)) {
      out.push(`${Math.floor(seconds / size)} ${unit}`);
      seconds %= size;
    }
    if (out.length === 2) break;
  }
  return out.join(" ");
}

// --- state ----------------------------------------------------------------------------------

const state = {
  seed: null,
  keys: [],          // every seeded key, with its owner: {id, secret, owner, ownerName, ownerId, scope, users}
  clock: null,       // {now, frozen}
  minted: null,      // {jwt, header, claims}
  journalShown: "",  // what the journal table shows, to redraw only on change
};

// --- seed: keys, accounts, apps, users ------------------------------------------------------

function keysOf(seed) {
  const keys = [];
  const add = (owner, kind, name, users) => {
    for (const key of owner.keys || []) {
      keys.push({ ...key, owner: kind, ownerName: name, ownerId: owner.id, scope: OWNER_SCOPE[kind], users });
    }
  };
  for (const account of seed.accounts) {
    const accountUsers = account.apps.flatMap((app) => app.users);
    add(account, "account", account.name, accountUsers);
    for (const sa of account.serviceAccounts || []) {
      add(sa, "serviceAccount", sa.name, account.apps.filter((app) => (sa.apps || []).includes(app.id)).flatMap((app) => app.users));
    }
    for (const app of account.apps) {
      add(app, "app", app.name, app.users);
      for (const integration of app.integrations || []) add(integration, "integration", integration.displayName, app.users);
    }
  }
  return keys;
}

async function loadSeed() {
  state.seed = await control("GET", "fixtures");
  state.keys = keysOf(state.seed);
  renderKeys();
  renderAccounts();
  fillMintKeys();
}

function renderKeys() {
  const body = byTestId("keys-body");
  body.replaceChildren(...state.keys.map((key) => {
    const secret = el("code", { class: "secret", "data-testid": "key-secret", "data-hidden": "true" }, "•".repeat(12));
    const reveal = el("button", { type: "button", class: "small", "data-testid": "key-reveal" }, "Show");
    reveal.addEventListener("click", () => {
      const hidden = secret.dataset.hidden === "true";
      secret.textContent = hidden ? key.secret : "•".repeat(12);
      secret.dataset.hidden = String(!hidden);
      reveal.textContent = hidden ? "Hide" : "Show";
    });
    return el("tr", { "data-testid": "key-row", "data-key-id": key.id },
      el("td", {}, key.ownerName, el("div", { class: "hint mono" }, key.ownerId)),
      el("td", {}, OWNER_WORD[key.owner]),
      el("td", { class: "nowrap" }, el("code", { "data-testid": "key-id" }, key.id), " ", copyButton(key.id, "key-copy-id")),
      el("td", { class: "nowrap" }, secret, " ", reveal, " ", copyButton(() => key.secret, "key-copy-secret")),
      el("td", {}, key.scope),
      el("td", {}, el("button", { type: "button", class: "small", "data-testid": "key-mint",
        onclick: () => chooseForMint(key.id) }, "Mint a token")));
  }));
}

function renderAccounts() {
  const root = byTestId("accounts");
  root.replaceChildren(...state.seed.accounts.map((account) => {
    const appNames = Object.fromEntries(account.apps.map((app) => [app.id, app.name]));
    return el("details", { open: true, class: "account", "data-testid": "account", "data-account-id": account.id },
      el("summary", {}, el("strong", {}, `Account ${account.name}`), " ", el("code", {}, account.id), " ", copyButton(account.id)),
      (account.serviceAccounts || []).length
        ? el("ul", { class: "plain" }, account.serviceAccounts.map((sa) => el("li", {},
          "service account ", el("strong", {}, sa.name), " ", el("code", {}, sa.id),
          ` — granted ${(sa.apps || []).map((id) => appNames[id] || id).join(", ") || "no apps"}`)))
        : null,
      account.apps.map((app) => renderApp(app)));
  }));
}

function renderApp(app) {
  const integrations = (app.integrations || []).map((integration) => el("li", {},
    el("span", { class: "badge" }, integration.type), " ", integration.displayName, " ", el("code", {}, integration.id), " ",
    copyButton(integration.id),
    (integration.webhooks || []).length ? ` — ${integration.webhooks.length} webhook(s)` : null,
    ["web", "ios", "android"].includes(integration.type)
      ? [" — ", el("a", { href: `chat?integration=${encodeURIComponent(integration.id)}` }, "open the chat page")]
      : null));
  return el("section", { class: "app", "data-testid": "app", "data-app-id": app.id },
    el("h3", {}, `App ${app.name} `, el("code", {}, app.id), " ", copyButton(app.id)),
    integrations.length ? el("ul", { class: "plain" }, integrations) : el("p", { class: "hint" }, "No integrations."),
    app.users.length ? el("table", { "data-testid": "users-table" },
      el("thead", {}, el("tr", {}, ["user id", "externalId", "name", "email", "more", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, app.users.map((user) => renderUser(app, user))))
      : el("p", { class: "hint" }, "No users."));
}

function renderUser(app, user) {
  const profile = user.profile || {};
  const more = [];
  if (user.zendeskId) more.push(`zendeskId ${user.zendeskId}`);
  if ((user.identities || []).length) more.push(user.identities.map((i) => `${i.type} ${i.value}`).join(", "));
  if ((user.devices || []).length) more.push(`${user.devices.length} device(s)`);
  const appKey = (app.keys || [])[0];
  return el("tr", { "data-testid": "user-row", "data-user-id": user.id, "data-external-id": user.externalId || "" },
    el("td", { class: "nowrap" }, el("code", {}, user.id), " ", copyButton(user.id)),
    el("td", {}, user.externalId || el("span", { class: "hint" }, "—")),
    el("td", {}, [profile.givenName, profile.surname].filter(Boolean).join(" ")),
    el("td", {}, profile.email || ""),
    el("td", { class: "hint" }, more.join("; ")),
    el("td", {}, appKey && user.externalId
      ? el("button", { type: "button", class: "small", "data-testid": "user-mint",
        onclick: () => chooseForMint(appKey.id, "user", user.externalId) }, "User token")
      : null));
}

// --- minting --------------------------------------------------------------------------------

function fillMintKeys() {
  const select = byTestId("mint-key");
  const previous = select.value;
  select.replaceChildren(...state.keys.map((key) =>
    el("option", { value: key.id }, `${key.ownerName} (${OWNER_WORD[key.owner]}) — ${key.id}`)));
  if (state.keys.some((key) => key.id === previous)) select.value = previous;
  fillMintScopes();
}

function selectedKey() {
  return state.keys.find((key) => key.id === byTestId("mint-key").value);
}

function fillMintScopes(scope) {
  const key = selectedKey();
  const select = byTestId("mint-scope");
  if (!key) return select.replaceChildren();
  const signable = SIGNABLE[key.owner];
  select.replaceChildren(
    el("optgroup", { label: `a ${OWNER_WORD[key.owner]} key signs` }, signable.map((s) => el("option", { value: s }, s))),
    el("optgroup", { label: "refused by the API (to test rejections)" },
      ALL_SCOPES.filter((s) => !signable.includes(s)).map((s) => el("option", { value: s }, s))));
  select.value = scope || key.scope;
  const options = byTestId("mint-form").querySelector("datalist");
  options.replaceChildren(...key.users.filter((u) => u.externalId).map((u) => el("option", { value: u.externalId })));
  updateUserField();
}

function updateUserField() {
  const scope = byTestId("mint-scope").value;
  const input = byTestId("mint-user");
  const label = byTestId("mint-user-label");
  input.disabled = !["user", "appUser"].includes(scope);
  label.textContent = scope === "user" ? "external_id" : scope === "appUser" ? "userId" : "user (not in this scope)";
}

function chooseForMint(keyId, scope, user) {
  byTestId("mint-key").value = keyId;
  fillMintScopes(scope);
  byTestId("mint-user").value = user || "";
  document.getElementById("mint").scrollIntoView({ behavior: "smooth", block: "start" });
}

async function mint() {
  const key = selectedKey();
  const scope = byTestId("mint-scope").value;
  const body = { keyId: key.id, scope };
  const user = byTestId("mint-user").value.trim();
  if (scope === "user" && user) body.externalId = user;
  if (scope === "appUser" && user) body.userId = user;
  const expires = byTestId("mint-expires").value.trim();
  if (expires !== "") body.expiresIn = Number(expires);
  const { jwt } = await control("POST", "tokens", body);
  state.minted = { jwt, ...decodeJwt(jwt) };
  byTestId("minted-token").textContent = jwt;
  byTestId("minted-header").textContent = JSON.stringify(state.minted.header, null, 2);
  byTestId("minted-claims").textContent = JSON.stringify(state.minted.claims, null, 2);
  byTestId("minted").hidden = false;
  renderExpiry();
}

/** exp against the mock's clock, redrawn as the clock moves. */
function renderExpiry() {
  const line = byTestId("minted-expiry");
  if (!state.minted) return;
  const exp = state.minted.claims.exp;
  if (exp === undefined) {
    line.textContent = "No exp: this token never expires.";
    line.dataset.state = "valid";
    return;
  }
  const at = new Date(exp * 1000).toISOString().replace(".000Z", "Z");
  if (!state.clock) {
    line.textContent = `exp ${at}`;
    return;
  }
  const left = exp - Date.parse(state.clock.now) / 1000;
  // The API refuses a token once exp <= now (no leeway unless MOCKSMOOCH_JWT_LEEWAY is set).
  line.dataset.state = left > 0 ? "valid" : "expired";
  line.textContent = left > 0
    ? `exp ${at}: expires in ${duration(left)} by the mock's clock`
    : `exp ${at}: expired ${duration(left)} ago by the mock's clock`;
}

// --- clock and reset ------------------------------------------------------------------------

function showClock(clock) {
  state.clock = clock;
  byTestId("clock-now").textContent = clock.now;
  byTestId("clock-frozen").hidden = !clock.frozen;
  byTestId("clock-freeze").textContent = clock.frozen ? "Unfreeze" : "Freeze";
  renderExpiry();
}

async function moveClock(body) {
  const clock = await control("POST", "clock", body);
  showClock(clock);
  const what = "advance" in body ? `advanced ${duration(body.advance)}` : "set" in body ? "set"
    : body.freeze ? "frozen" : "running again";
  flash(`Clock ${what}: ${clock.now}`);
}

async function reset() {
  const answer = await control("POST", "reset", {});
  showClock(answer.clock);
  await loadSeed();
  await refreshJournal(true);
  flash("Reset to the seed: state, clock, journal and webhook deliveries.");
}

// --- journal --------------------------------------------------------------------------------

function credentialText(principal) {
  if (!principal) return "";
  const parts = [`${principal.keyId} · ${principal.scope} via ${principal.method}`];
  const user = principal.user;
  if (user) parts.push(typeof user === "string" ? user : user.externalId || user.userId || user.id || JSON.stringify(user));
  return parts.join(" · ");
}

function journalRow(entry) {
  const auth = entry.auth || { outcome: "none" };
  const path = entry.query ? `${entry.path}?${entry.query}` : entry.path;
  return el("tr", { "data-testid": "journal-row", "data-id": entry.id, "data-method": entry.method,
    "data-path": entry.path, "data-status": entry.status, "data-outcome": auth.outcome,
    class: `status-${String(entry.status)[0]}xx` },
  el("td", { class: "hint" }, entry.id),
  el("td", { class: "nowrap mono", title: entry.time }, entry.time.slice(11, 23)),
  el("td", { "data-testid": "journal-method" }, entry.method),
  el("td", { class: "mono path", "data-testid": "journal-path" }, path),
  el("td", { "data-testid": "journal-status" }, el("span", { class: "status" }, entry.status)),
  el("td", { "data-testid": "journal-outcome" }, el("span", { class: `badge outcome-${auth.outcome}` }, auth.outcome)),
  el("td", { class: "reason", "data-testid": "journal-reason" }, auth.reason || ""),
  el("td", { class: "mono hint", "data-testid": "journal-credential" }, credentialText(auth.principal)));
}

/** Every word of the filter must appear in the entry, and no word written -word. */
function journalMatches(entry, words) {
  const text = journalText(entry);
  return words.every((word) => (word.startsWith("-") && word.length > 1
    ? !text.includes(word.slice(1)) : text.includes(word)));
}

function journalText(entry) {
  const auth = entry.auth || {};
  return [entry.method, entry.path, entry.query, entry.status, auth.outcome, auth.reason, credentialText(auth.principal)]
    .join(" ").toLowerCase();
}

async function refreshJournal(force = false) {
  const { requests } = await control("GET", "requests");
  const filter = byTestId("journal-filter").value.trim().toLowerCase();
  const last = requests.length ? requests[requests.length - 1] : {};
  const shown = `${requests.length}:${last.id}:${last.time}:${filter}`;
  if (!force && shown === state.journalShown) return;
  state.journalShown = shown;
  const words = filter.split(/\s+/).filter(Boolean);
  const rows = requests.filter((entry) => journalMatches(entry, words)).reverse();
  byTestId("journal-body").replaceChildren(...rows.map(journalRow));
  byTestId("journal-empty").hidden = rows.length > 0;
  byTestId("journal-count").textContent = filter ? `(${rows.length} of ${requests.length})` : `(${requests.length})`;
}

// --- the poll loop --------------------------------------------------------------------------

async function poll() {
  try {
    if (!document.hidden) {
      showClock(await control("GET", "clock"));
      if (byTestId("journal-live").checked) await refreshJournal();
    }
    document.body.dataset.connected = "true";
  } catch (error) {
    document.body.dataset.connected = "false";
    byTestId("clock-now").textContent = "the mock does not answer";
  }
  setTimeout(poll, POLL_MS);
}

// --- wiring ---------------------------------------------------------------------------------

function wire() {
  byTestId("reset-button").addEventListener("click", guarded(reset));
  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", guarded(() => moveClock({ advance: Number(button.dataset.advance) })));
  }
  byTestId("clock-advance-form").addEventListener("submit",
    guarded(() => moveClock({ advance: Number(byTestId("clock-advance-seconds").value) })));
  byTestId("clock-set-form").addEventListener("submit",
    guarded(() => moveClock({ set: byTestId("clock-set-input").value.trim() })));
  byTestId("clock-freeze").addEventListener("click",
    guarded(() => moveClock({ freeze: !(state.clock && state.clock.frozen) })));
  byTestId("mint-key").addEventListener("change", () => fillMintScopes());
  byTestId("mint-scope").addEventListener("change", updateUserField);
  byTestId("mint-form").addEventListener("submit", guarded(mint));
  byTestId("minted").querySelector("[data-testid=minted-copy]").replaceWith(
    copyButton(() => state.minted.jwt, "minted-copy"));
  byTestId("journal-filter").addEventListener("input", guarded(() => refreshJournal(true)));
  byTestId("journal-clear").addEventListener("click", guarded(async () => {
    await control("DELETE", "requests");
    await refreshJournal(true);
  }));
}

wire();
guarded(async () => {
  await loadSeed();
  document.body.dataset.ready = "true";
})();
poll();
