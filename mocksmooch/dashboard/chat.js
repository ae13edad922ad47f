// The chat page: the whole Web Messenger flow against the mock, in plain calls.
//
//   1. GET  /_mocksmooch/fixtures                        the apps, their SDK integrations, users, keys
//   2. POST /_mocksmooch/tokens                          a `user` JWT for the user's externalId, signed
//                                                        with the app's key (your backend's job)
//   3. POST /sdk/v2/apps/{appId}/login                   Bearer <jwt>: the SDK's login
//   4. GET  /sdk/v2/apps/{appId}/appusers/{id}/conversations (or the login answer's), created if none
//   5. GET|POST /sdk/v2/apps/{appId}/conversations/{id}/messages, polled every second
//
// Replies posted through the REST API (POST /v2/apps/{appId}/conversations/{id}/messages)
// land in the same conversation, so they show up here at the next poll.
"use strict";

// --- helpers (with common.js) ---------------------------------------------------------------

const ROOT = new URL("../", CONTROL);             // the mock itself
const SDK = new URL("sdk/v2/", ROOT);
const POLL_MS = 1000;                             // while the conversation is active
const IDLE_POLL_MS = 5000;                        // after a minute without news, to spare the journal
const IDLE_AFTER_MS = 60000;
const SDK_NAME = "web/mocksmooch/chat-page";      // what the page says it is, in x-smooch-sdk
const SDK_TYPES = ["web", "ios", "android"];

const isControl = (url) => new URL(url).href.startsWith(CONTROL.href);

/** A JSON call; the decoded answer, or an Error with the status and the error body's words. */
async function call(method, url, { body, headers = {} } = {}) {
  const control = isControl(url);
  let response;
  for (;;) {
    const sent = control ? sessionStorage.getItem(ADMIN_TOKEN_KEY) : null;
    response = await fetch(url, {
      method,
      headers: { Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...(sent ? { [ADMIN_TOKEN_HEADER]: sent } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!control || response.status !== 401 || !askAdminToken(sent)) break;
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (answer && (answer.error || (answer.errors && answer.errors[0]))) || {};
    const words = error.description || error.title || error.message || "";
    const reason = response.headers.get("X-Mocksmooch-Reason");
    const failure = new Error(`${method} ${new URL(url).pathname}: ${response.status} ${error.code || ""} ${words}`
      + (reason ? ` (${reason})` : ""));
    failure.status = response.status;
    throw failure;
  }
  return answer;
}

/** The browser's SDK client id, kept across visits as the Web Messenger keeps it. */
function clientId() {
  const name = "mocksmooch.chat.clientId";
  let id = localStorage.getItem(name);
  if (!id) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(name, id);
  }
  return id;
}

// --- state ----------------------------------------------------------------------------------

const state = {
  choices: [],     // {app, integration} for each SDK integration of the seed
  session: null,   // {app, integration, user, jwt, appUserId, conversationId}
  shown: "",       // the message ids on screen, to redraw only on change
  polling: null,
  changedAt: 0,    // when the messages last changed (Date.now())
};

function chosen() {
  return state.choices.find((c) => c.integration.id === byTestId("chat-integration").value);
}

function client(integration) {
  // The platform is the integration's type: the SDK API refuses a web client on an ios integration.
  return { id: clientId(), platform: integration.type, integrationId: integration.id,
    info: { currentUrl: location.href, browserLanguage: navigator.language, vendor: "mocksmooch" } };
}

// --- the seed: which app, which user --------------------------------------------------------

async function loadChoices() {
  const seed = await call("GET", new URL("fixtures", CONTROL));
  state.choices = seed.accounts.flatMap((account) => account.apps.flatMap((app) =>
    (app.integrations || []).filter((i) => SDK_TYPES.includes(i.type)).map((integration) => ({ app, integration }))));
  const select = byTestId("chat-integration");
  select.replaceChildren(...state.choices.map(({ app, integration }) =>
    el("option", { value: integration.id }, `${app.name} — ${integration.type} integration "${integration.displayName}"`)));
  if (!state.choices.length) {
    flash("No app of the seed has an SDK integration (type web, ios or android): add one to the fixture file.", "error");
    return;
  }
  const wanted = new URLSearchParams(location.search);
  if (state.choices.some((c) => c.integration.id === wanted.get("integration"))) select.value = wanted.get("integration");
  fillUsers(wanted.get("user"));
}

function fillUsers(preferred) {
  const choice = chosen();
  const users = choice ? choice.app.users.filter((u) => u.externalId) : [];
  const select = byTestId("chat-user");
  select.replaceChildren(...users.map((u) => {
    const name = [u.profile && u.profile.givenName, u.profile && u.profile.surname].filter(Boolean).join(" ");
    return el("option", { value: u.externalId }, name ? `${u.externalId} (${name})` : u.externalId);
  }));
  if (preferred && users.some((u) => u.externalId === preferred)) select.value = preferred;
}

// --- login, through the SDK API -------------------------------------------------------------

/** A user JWT for the chosen user, signed with the app's first key, as the customer's backend signs it. */
async function mintUserJwt(app, externalId) {
  const key = (app.keys || [])[0];
  if (!key) throw new Error(`the app ${app.name} has no key to sign a user token with`);
  const expiresIn = Number(byTestId("chat-expires").value) || 3600;
  const { jwt } = await call("POST", new URL("tokens", CONTROL),
    { body: { keyId: key.id, scope: "user", externalId, expiresIn } });
  return jwt;
}

/** One /sdk/v2 call with the SDK's headers.  On a 401 it mints a fresh token and retries once,
 *  as the Web Messenger does through its onInvalidAuth delegate. */
async function sdk(method, path, body) {
  const session = state.session;
  const attempt = () => call(method, new URL(path, SDK), {
    body,
    headers: {
      Authorization: `Bearer ${session.jwt}`,
      "x-smooch-sdk": SDK_NAME,
      "x-smooch-appid": session.app.id,
      "x-smooch-clientid": clientId(),
    },
  });
  try {
    return await attempt();
  } catch (error) {
    if (error.status !== 401) throw error;
    session.jwt = await mintUserJwt(session.app, session.user);
    byTestId("session-jwt").textContent = session.jwt;
    flash(`${error.message}: minted a new token and retried, as the Web Messenger's onInvalidAuth would`);
    return attempt();
  }
}

async function login() {
  const choice = chosen();
  const externalId = byTestId("chat-user").value;
  if (!choice || !externalId) throw new Error("choose an app and a user with an externalId");
  if (state.session) await logout();
  const { app, integration } = choice;
  state.session = { app, integration, user: externalId, jwt: await mintUserJwt(app, externalId) };
  setStatus(`logging in as ${externalId}…`);
  let answer;
  try {
    answer = await sdk("POST", `apps/${app.id}/login`,
      { userId: externalId, integrationId: integration.id, client: client(integration) });
  } catch (error) {
    state.session = null;
    setStatus("not logged in");
    throw error;
  }
  const appUser = answer.appUser || {};
  state.session.appUserId = appUser._id || appUser.id;
  state.session.conversationId = await conversationOf(answer.conversations);
  showSession();
  await refreshMessages();
  startPolling();
}

/** The user's conversation (its default one, else its first): from the login answer, else
 *  listed, else a new one. */
async function conversationOf(fromLogin) {
  const { app, appUserId, integration } = state.session;
  let conversations = fromLogin || [];
  if (!conversations.length) {
    conversations = (await sdk("GET", `apps/${app.id}/appusers/${appUserId}/conversations`)).conversations || [];
  }
  if (!conversations.length) {
    const created = await sdk("POST", `apps/${app.id}/appusers/${appUserId}/conversations`,
      { type: "personal", intent: "conversation:start", client: client(integration) });
    conversations = [created.conversation];
  }
  const conversation = conversations.find((c) => c.isDefault) || conversations[0];
  return conversation._id || conversation.id;
}

async function logout() {
  const session = state.session;
  stopPolling();
  if (session && session.appUserId) {
    // Best effort: the page forgets the user either way, as the Web Messenger does.
    await sdk("POST", `apps/${session.app.id}/appusers/${session.appUserId}/logout`,
      { client: client(session.integration) }).catch(() => {});
  }
  state.session = null;
  showSession();
}

// --- messages -------------------------------------------------------------------------------

function messagesPath() {
  return `apps/${state.session.app.id}/conversations/${state.session.conversationId}/messages`;
}

async function refreshMessages() {
  if (!state.session || !state.session.conversationId) return;
  const { messages = [] } = await sdk("GET", messagesPath());
  const shown = messages.map((m) => m._id || m.id).join(",");
  if (shown === state.shown) return;
  state.shown = shown;
  state.changedAt = Date.now();
  const list = byTestId("chat-messages");
  list.replaceChildren(...messages.map(renderMessage));
  byTestId("chat-empty").hidden = messages.length > 0;
  list.scrollTop = list.scrollHeight;
}

function renderMessage(message) {
  const role = message.role || (message.author && message.author.type) || "unknown";
  const mine = role === "appUser" || role === "user";
  const received = typeof message.received === "number" ? new Date(message.received * 1000).toISOString() : message.received;
  let body = message.text;
  if (!body && message.mediaUrl) body = `[${message.type}] ${message.mediaUrl}`;
  if (!body) body = `[${message.type || "message"}]`;
  return el("li", { class: `message ${mine ? "mine" : "theirs"}`, "data-testid": "chat-message",
    "data-role": role, "data-id": message._id || message.id },
  el("div", { class: "meta" }, el("span", { class: "author", "data-testid": "chat-message-author" },
    message.name || (mine ? state.session.user : "the business")), " ",
  el("span", { class: "badge" }, role), " ",
  el("time", { datetime: received || "" }, received ? received.slice(11, 19) : "")),
  el("div", { class: "text", "data-testid": "chat-message-text" }, body));
}

async function send() {
  const input = byTestId("chat-input");
  const text = input.value.trim();
  if (!text) return;
  const { integration, appUserId } = state.session;
  await sdk("POST", messagesPath(), {
    message: { type: "text", text },
    author: { role: "appUser", appUserId, client: client(integration) },
  });
  input.value = "";
  await refreshMessages();
  state.changedAt = Date.now();
}

/** The business's side, from the browser for convenience: the same REST call as the curl shown. */
async function reply() {
  const { app, conversationId } = state.session;
  const key = app.keys[0];
  const input = byTestId("reply-text");
  await call("POST", new URL(`v2/apps/${app.id}/conversations/${conversationId}/messages`, ROOT), {
    body: { author: { type: "business" }, content: { type: "text", text: input.value } },
    headers: { Authorization: `Basic ${btoa(`${key.id}:${key.secret}`)}` },
  });
  input.value = "";
  await refreshMessages();
}

function startPolling() {
  stopPolling();
  const tick = async () => {
    if (!state.session) return;
    try {
      if (!document.hidden) await refreshMessages();
      setStatus(`logged in as ${state.session.user}`);
    } catch (error) {
      setStatus(`polling failed: ${error.message}`);
    }
    if (state.session) state.polling = setTimeout(tick, interval());
  };
  // Each poll is a journal entry: poll slower once the conversation is quiet.
  const interval = () => (Date.now() - state.changedAt < IDLE_AFTER_MS ? POLL_MS : IDLE_POLL_MS);
  state.changedAt = Date.now();
  state.polling = setTimeout(tick, POLL_MS);
}

function stopPolling() {
  clearTimeout(state.polling);
  state.polling = null;
}

// --- the page -------------------------------------------------------------------------------

function setStatus(text) {
  byTestId("chat-status").textContent = text;
}

function showSession() {
  const session = state.session;
  const on = Boolean(session && session.conversationId);
  byTestId("session").hidden = !on;
  byTestId("reply-help").hidden = !on;
  byTestId("chat-input").disabled = !on;
  byTestId("chat-send").disabled = !on;
  byTestId("chat-logout").disabled = !on;
  document.body.dataset.loggedIn = String(on);
  if (!on) {
    setStatus("not logged in");
    state.shown = "";
    byTestId("chat-messages").replaceChildren();
    byTestId("chat-empty").hidden = false;
    return;
  }
  setStatus(`logged in as ${session.user}`);
  byTestId("session-app-user").textContent = session.appUserId;
  byTestId("session-conversation").textContent = session.conversationId;
  byTestId("session-jwt").textContent = session.jwt;
  const key = session.app.keys[0];
  byTestId("reply-curl").textContent = [
    `curl -u '${key.id}:${key.secret}'`,
    "  -H 'Content-Type: application/json'",
    `  -d '{"author": {"type": "business"}, "content": {"type": "text", "text": "Hello from the business"}}'`,
    `  ${new URL(`v2/apps/${session.app.id}/conversations/${session.conversationId}/messages`, ROOT)}`,
  ].join(" \\\n");
  byTestId("chat-input").focus();
}

function wire() {
  byTestId("chat-integration").addEventListener("change", () => fillUsers());
  byTestId("login-form").addEventListener("submit", guarded(login));
  byTestId("chat-logout").addEventListener("click", guarded(async () => {
    await logout();
    flash("Logged out.");
  }));
  byTestId("chat-form").addEventListener("submit", guarded(send));
  byTestId("reply-form").addEventListener("submit", guarded(reply));
}

wire();
guarded(async () => {
  await loadChoices();
  document.body.dataset.ready = "true";
})();
