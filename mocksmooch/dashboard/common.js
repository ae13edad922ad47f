// What the dashboard and the chat page share: DOM helpers, the flash message, and the admin
// token (MOCKSMOOCH_ADMIN_TOKEN) the control API may ask for.  Loaded before each page's own
// script; each page then has only its own panels and calls.
"use strict";

const CONTROL = new URL("./", document.baseURI);  // /_mocksmooch/, wherever the mock is mounted

const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

/** el("td", {class: "x", "data-testid": "y"}, "text", child, ...): DOM without innerHTML. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A message in the page's flash box; errors stay 8 s, the rest as long as the box's data-info-ms says. */
let flashTimer = null;
function flash(message, kind = "info") {
  const box = byTestId("flash");
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { box.hidden = true; }, kind === "error" ? 8000 : Number(box.dataset.infoMs || 4000));
}

/** Run an async action from a button or form, showing its error instead of losing it. */
function guarded(action) {
  return async (event) => {
    if (event && event.preventDefault) event.preventDefault();
    try {
      await action(event);
    } catch (error) {
      flash(error.message, "error");
    }
  };
}

// With MOCKSMOOCH_ADMIN_TOKEN set, the control API answers 401 without the token: the page
// asks for it once, keeps it for this tab (sessionStorage, shared by both pages), and sends
// it in its own header to the control API only, never in Authorization, where Smooch
// credentials go.
const ADMIN_TOKEN_HEADER = "X-Mocksmooch-Admin-Token";
const ADMIN_TOKEN_KEY = "mocksmooch.adminToken";
let adminTokenDeclined = false;

function adminHeaders() {
  const token = sessionStorage.getItem(ADMIN_TOKEN_KEY);
  return token ? { [ADMIN_TOKEN_HEADER]: token } : {};
}

/** After a control call's 401 sent with `sent` (or none): true if there is another token to try. */
function askAdminToken(sent) {
  const current = sessionStorage.getItem(ADMIN_TOKEN_KEY);
  if (current && current !== sent) return true;  // another call asked meanwhile
  if (adminTokenDeclined) return false;
  const token = window.prompt(sent
    ? "That admin token was refused. The admin token of this mocksmooch (MOCKSMOOCH_ADMIN_TOKEN):"
    : "This mocksmooch wants its admin token (MOCKSMOOCH_ADMIN_TOKEN):");
  if (!token || !token.trim()) {
    adminTokenDeclined = true;  // do not ask again at every refresh; reload the page to retry
    sessionStorage.removeItem(ADMIN_TOKEN_KEY);
    return false;
  }
  sessionStorage.setItem(ADMIN_TOKEN_KEY, token.trim());
  return true;
}
