/*! QA chat widget v1 — embeddable, dependency-free, no build step.
 *
 * Embed:
 *   <script src="https://qa.example/widget/v1/widget.js" data-api="https://qa.example"
 *           data-title="Ask our docs" async></script>
 * or call QAWidget.init({ api: "https://qa.example", title: "Ask our docs" }).
 *
 * Everything that comes from the documents or the model is put on the page with
 * textContent / createTextNode, never as markup.  The widget only talks to the
 * configured API origin.  The only global it defines is window.QAWidget.
 */
(function () {
  "use strict";

  if (typeof window === "undefined" || !window.document) return;
  if (window.QAWidget && window.QAWidget.version) return; // loaded twice: keep the first

  var VERSION = "1.0.0";
  var SCRIPT = document.currentScript;
  var NARROW_QUERY = "(max-width: 639.98px)";
  var HOST_TAG = "qa-widget";
  var HISTORY_TURNS = 10; // user+assistant pairs sent as `history`
  var STORED_MESSAGES = 60;

  var DEFAULTS = {
    api: null,
    title: "Ask a question",
    welcome: "Hi! Ask me a question and I will answer from the documents, with the exact sources.",
    starters: [],
    position: "bottom-right",
    theme: "light",
    colors: null,
    open: false,
    topK: null,
    placeholder: "Ask a question…",
    launcherLabel: null,
    maxLength: 2000,
    persist: true,
    zIndex: null,
  };

  // Config keys that map onto CSS custom properties on the host element.
  var THEME_VARS = {
    accent: "--qa-accent",
    accentText: "--qa-accent-fg",
    bg: "--qa-bg",
    fg: "--qa-fg",
    muted: "--qa-muted",
    border: "--qa-border",
    surface: "--qa-surface",
    mark: "--qa-mark",
    markText: "--qa-mark-fg",
    font: "--qa-font",
    radius: "--qa-radius",
  };

  // ---------------------------------------------------------------- helpers

  function h(tag, props) {
    var el = document.createElement(tag);
    if (props) {
      for (var key in props) {
        if (!Object.prototype.hasOwnProperty.call(props, key)) continue;
        var value = props[key];
        if (value === null || value === undefined || value === false) continue;
        if (key === "class") el.className = value;
        else if (key === "text") el.textContent = value;
        else if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
        else el.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) {
      for (var i = 0; i < child.length; i++) append(parent, child[i]);
    } else if (typeof child === "string" || typeof child === "number") {
      parent.appendChild(document.createTextNode(String(child)));
    } else {
      parent.appendChild(child);
    }
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  var ICONS = {
    chat: ["M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"],
    close: ["M18 6 6 18", "M6 6l12 12"],
    down: ["M6 9l6 6 6-6"],
    send: ["M12 19V5", "M5 12l7-7 7 7"],
    stop: ["M7 7h10v10H7z"],
    back: ["M19 12H5", "M12 19l-7-7 7-7"],
    plus: ["M12 5v14", "M5 12h14"],
    up: [
      "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3z",
      "M7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3",
    ],
    down_vote: [
      "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3z",
      "M17 2h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17",
    ],
    flag: ["M4 15s1-1 4-1 5 2 8 2 4-1 4-1V3s-1 1-4 1-5-2-8-2-4 1-4 1z", "M4 22v-7"],
    retry: ["M1 4v6h6", "M3.51 15a9 9 0 1 0 2.13-9.36L1 10"],
  };

  function icon(name, size) {
    var NS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size || 20));
    svg.setAttribute("height", String(size || 20));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon icon-" + name);
    var paths = ICONS[name];
    for (var i = 0; i < paths.length; i++) {
      var p = document.createElementNS(NS, "path");
      p.setAttribute("d", paths[i]);
      svg.appendChild(p);
    }
    return svg;
  }

  function truthy(value) {
    if (value === true) return true;
    if (value === false || value === null || value === undefined) return false;
    var s = String(value).trim().toLowerCase();
    return s === "" || s === "true" || s === "1" || s === "yes" || s === "open";
  }

  /** Map Python code-point offsets onto JS (UTF-16) string indices. */
  function codePointIndexer(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) {
      return function (i) {
        return Math.max(0, Math.min(text.length, i | 0));
      };
    }
    var offsets = [];
    var u = 0;
    while (u < text.length) {
      offsets.push(u);
      var c = text.charCodeAt(u);
      var pair =
        c >= 0xd800 && c <= 0xdbff && u + 1 < text.length &&
        (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00;
      u += pair ? 2 : 1;
    }
    offsets.push(u);
    return function (i) {
      i = Math.max(0, Math.min(offsets.length - 1, i | 0));
      return offsets[i];
    };
  }

  function retryAfterSeconds(response, body) {
    var raw = null;
    try {
      raw = response.headers.get("Retry-After");
    } catch (e) {
      raw = null;
    }
    if (raw) {
      var n = parseInt(raw, 10);
      if (!isNaN(n) && String(n) === raw.trim()) return Math.max(1, n);
      var date = Date.parse(raw);
      if (!isNaN(date)) return Math.max(1, Math.ceil((date - Date.now()) / 1000));
    }
    var err = body && body.error;
    if (err && typeof err.retry_after === "number") return Math.max(1, Math.ceil(err.retry_after));
    var m = err && typeof err.message === "string" && /(\d+)\s*(?:s\b|sec|second)/i.exec(err.message);
    if (m) return Math.max(1, parseInt(m[1], 10));
    return null;
  }

  function serverMessage(body) {
    if (!body) return null;
    if (body.error && typeof body.error.message === "string" && body.error.message) {
      return body.error.message;
    }
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail) && body.detail.length && body.detail[0].msg) {
      return String(body.detail[0].msg);
    }
    return null;
  }

  function httpErrorMessage(response, body) {
    var status = response.status;
    if (status === 429) {
      var secs = retryAfterSeconds(response, body);
      return secs
        ? "Too many questions, try again in " + secs + " s."
        : "Too many questions, try again in a minute.";
    }
    if (status === 401 || status === 403) {
      return "This site is not allowed to use the assistant (error " + status + ").";
    }
    if (status >= 400 && status < 500) {
      return serverMessage(body) || "The assistant could not accept that question (error " + status + ").";
    }
    return "The assistant is having trouble right now (error " + status + "). Please try again in a moment.";
  }

  var NETWORK_MESSAGE = "Can't reach the assistant. Check your connection and try again.";

  /** Incremental Server-Sent Events parser (the subset the API uses). */
  function SSEParser(onEvent) {
    this.buffer = "";
    this.eventType = "";
    this.data = [];
    this.onEvent = onEvent;
  }
  SSEParser.prototype.push = function (chunk) {
    this.buffer += chunk;
    for (;;) {
      var m = /\r\n|\n|\r/.exec(this.buffer);
      if (!m) break;
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (m[0] === "\r" && m.index === this.buffer.length - 1) break;
      var line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  };
  SSEParser.prototype.line = function (line) {
    if (line === "") {
      if (this.data.length) this.onEvent(this.eventType || "message", this.data.join("\n"));
      this.eventType = "";
      this.data = [];
      return;
    }
    if (line.charAt(0) === ":") return; // comment / keep-alive
    var colon = line.indexOf(":");
    var field = colon === -1 ? line : line.slice(0, colon);
    var value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charAt(0) === " ") value = value.slice(1);
    if (field === "event") this.eventType = value;
    else if (field === "data") this.data.push(value);
  };
  SSEParser.prototype.end = function () {
    if (this.buffer) this.line(this.buffer);
    this.buffer = "";
    this.line("");
  };

  function storageGet(key) {
    try {
      var raw = window.sessionStorage.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }
  function storageSet(key, value) {
    try {
      window.sessionStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* storage full or blocked: the chat still works, it just is not kept */
    }
  }
  function storageRemove(key) {
    try {
      window.sessionStorage.removeItem(key);
    } catch (e) {
      /* ignore */
    }
  }

  // ----------------------------------------------------------------- styles

  var CSS = [
    ":host{all:initial;",
    "--qa-accent:#2456e0;--qa-accent-fg:#fff;--qa-bg:#fff;--qa-fg:#1c2230;--qa-muted:#667085;",
    "--qa-border:#e4e7ec;--qa-surface:#f3f5f8;--qa-mark:#ffe27a;--qa-mark-fg:#1c2230;",
    "--qa-font:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue','Liberation Sans',Arial,sans-serif;",
    "--qa-radius:16px;--qa-shadow:0 18px 50px rgba(16,24,40,.18),0 4px 12px rgba(16,24,40,.08);}",
    ":host([data-theme=dark]){--qa-accent:#6b93ff;--qa-accent-fg:#0b1020;--qa-bg:#171a21;--qa-fg:#e8ebf1;",
    "--qa-muted:#9aa3b5;--qa-border:#2b303b;--qa-surface:#222732;--qa-mark:#f5c84c;--qa-mark-fg:#171a21;}",
    "@media (prefers-color-scheme:dark){:host([data-theme=auto]){--qa-accent:#6b93ff;--qa-accent-fg:#0b1020;",
    "--qa-bg:#171a21;--qa-fg:#e8ebf1;--qa-muted:#9aa3b5;--qa-border:#2b303b;--qa-surface:#222732;",
    "--qa-mark:#f5c84c;--qa-mark-fg:#171a21;}}",
    "*,*::before,*::after{box-sizing:border-box}",
    "[hidden]{display:none!important}",
    ".root{font-family:var(--qa-font);font-size:15px;line-height:1.5;color:var(--qa-fg);",
    "-webkit-font-smoothing:antialiased;-moz-osx-font-smoothing:grayscale;text-align:left}",
    "button{font-family:inherit;font-size:inherit;color:inherit;cursor:pointer}",
    "button:focus-visible,textarea:focus-visible,[tabindex]:focus-visible{outline:2px solid var(--qa-accent);outline-offset:2px}",
    ".icon{fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;flex:none}",
    ".icon-stop{fill:currentColor;stroke-width:1}",
    // launcher
    ".launcher{position:fixed;bottom:20px;right:20px;z-index:var(--qa-z,2147483000);width:58px;height:58px;",
    "border-radius:50%;border:0;padding:0;background:var(--qa-accent);color:var(--qa-accent-fg);display:flex;",
    "align-items:center;justify-content:center;box-shadow:0 8px 24px rgba(16,24,40,.25);",
    "transition:transform .15s ease,box-shadow .15s ease}",
    ".launcher:hover{transform:translateY(-1px) scale(1.04);box-shadow:0 10px 28px rgba(16,24,40,.3)}",
    ".launcher:focus-visible{outline:3px solid var(--qa-accent);outline-offset:3px}",
    ".launcher .icon{width:26px;height:26px}",
    ".left .launcher{right:auto;left:20px}",
    // panel
    ".panel{position:fixed;bottom:92px;right:20px;z-index:var(--qa-z,2147483000);width:400px;",
    "max-width:calc(100vw - 40px);height:640px;max-height:calc(100vh - 112px);display:flex;",
    "flex-direction:column;overflow:hidden;background:var(--qa-bg);color:var(--qa-fg);",
    "border:1px solid var(--qa-border);border-radius:var(--qa-radius);box-shadow:var(--qa-shadow);",
    "animation:qa-in .18s ease-out}",
    ".left .panel{right:auto;left:20px}",
    "@keyframes qa-in{from{opacity:0;transform:translateY(8px)}to{opacity:1;transform:none}}",
    "@media (max-width:639.98px){.panel,.left .panel{top:0;right:0;bottom:0;left:0;width:100%;height:100%;",
    "max-width:none;max-height:none;border:0;border-radius:0;animation:none}",
    ".root.is-open .launcher{display:none}}",
    "@media (prefers-reduced-motion:reduce){.panel{animation:none}.launcher{transition:none}.dots i{animation:none!important}}",
    // header
    ".head{display:flex;align-items:center;gap:4px;padding:12px 10px 12px 18px;background:var(--qa-accent);",
    "color:var(--qa-accent-fg);flex:none}",
    ".title{margin:0;flex:1;min-width:0;font-size:16px;font-weight:650;letter-spacing:-.01em;",
    "overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    ".head button{display:inline-flex;align-items:center;gap:6px;height:34px;min-width:34px;",
    "justify-content:center;padding:0 8px;border:0;border-radius:10px;background:transparent;",
    "color:inherit;font-size:13px;font-weight:550}",
    ".head button:hover{background:rgba(255,255,255,.16)}",
    ".head button:focus-visible{outline:2px solid currentColor;outline-offset:-2px}",
    ".head .icon{width:18px;height:18px}",
    // log
    ".log{flex:1;min-height:0;overflow-y:auto;padding:18px 16px 8px;display:flex;flex-direction:column;",
    "gap:16px;overscroll-behavior:contain;scroll-behavior:smooth}",
    ".msg{display:flex;flex-direction:column;max-width:100%}",
    ".msg.user{align-self:flex-end;max-width:85%}",
    ".msg.user .bubble{background:var(--qa-accent);color:var(--qa-accent-fg);border-radius:18px 18px 4px 18px}",
    ".msg.bot{align-self:stretch}",
    ".bubble{padding:10px 14px;border-radius:4px 18px 18px 18px;background:var(--qa-surface);",
    "white-space:pre-wrap;overflow-wrap:anywhere;word-break:normal}",
    ".answer{white-space:normal}",
    ".answer.abstained{color:var(--qa-muted);font-style:italic}",
    ".read-as{margin:0 0 6px;font-size:12.5px;color:var(--qa-muted)}",
    ".read-as b{font-weight:600;color:var(--qa-fg)}",
    ".welcome .bubble{white-space:normal}",
    ".starters{display:flex;flex-direction:column;align-items:flex-start;gap:8px;margin-top:10px}",
    ".starter{border:1px solid var(--qa-border);background:var(--qa-bg);color:var(--qa-accent);",
    "border-radius:999px;padding:7px 14px;font-size:14px;font-weight:550;text-align:left;line-height:1.3;",
    "transition:background .12s,border-color .12s}",
    ".starter:hover{border-color:var(--qa-accent);background:var(--qa-surface)}",
    // sources
    ".sources{margin:0 0 8px}",
    ".label{font-size:11.5px;font-weight:650;letter-spacing:.06em;text-transform:uppercase;color:var(--qa-muted);margin:0 0 6px}",
    ".chips{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:6px}",
    ".chips li{max-width:100%;display:flex}",
    ".chip{display:inline-flex;align-items:center;gap:7px;max-width:100%;padding:4px 11px 4px 4px;",
    "border:1px solid var(--qa-border);border-radius:999px;background:var(--qa-bg);font-size:13px;",
    "line-height:1.3;color:var(--qa-fg);transition:border-color .12s,background .12s}",
    ".chip:hover{border-color:var(--qa-accent)}",
    ".chip .t{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:230px}",
    ".chip .tag{font-size:11px;color:var(--qa-muted);white-space:nowrap}",
    ".num{display:inline-flex;align-items:center;justify-content:center;min-width:20px;height:20px;",
    "padding:0 5px;border-radius:999px;background:var(--qa-accent);color:var(--qa-accent-fg);",
    "font-size:11.5px;font-weight:700;line-height:1;flex:none}",
    ".cite{display:inline-flex;align-items:center;justify-content:center;min-width:20px;height:19px;",
    "padding:0 5px;margin:0 1px;border:0;border-radius:999px;vertical-align:1px;",
    "background:rgba(36,86,224,.12);background:color-mix(in srgb,var(--qa-accent) 15%,transparent);",
    "color:var(--qa-accent);font-size:11.5px;font-weight:700;line-height:1}",
    ".cite:hover{background:var(--qa-accent);color:var(--qa-accent-fg)}",
    // status / errors / feedback
    ".dots{display:inline-flex;gap:4px;padding:4px 0}",
    ".dots i{width:7px;height:7px;border-radius:50%;background:var(--qa-muted);opacity:.35;animation:qa-dot 1s infinite ease-in-out}",
    ".dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}",
    "@keyframes qa-dot{0%,80%,100%{opacity:.25;transform:none}40%{opacity:.9;transform:translateY(-2px)}}",
    ".note{margin-top:6px;font-size:13px;color:var(--qa-muted)}",
    ".error{margin-top:8px;padding:9px 12px;border-radius:12px;font-size:14px;line-height:1.4;",
    "background:#fef2f2;color:#9f1c1c;border:1px solid #fbd5d5;display:flex;align-items:flex-start;gap:10px}",
    ":host([data-theme=dark]) .error{background:#3a1d20;color:#ffc9c9;border-color:#5c2a2f}",
    ".error .txt{flex:1}",
    ".error button{border:0;background:transparent;color:inherit;font-weight:650;font-size:13px;",
    "text-decoration:underline;padding:0;white-space:nowrap}",
    ".actions{display:flex;align-items:center;gap:2px;margin-top:4px;min-height:30px}",
    ".vote{display:inline-flex;align-items:center;justify-content:center;width:30px;height:30px;border:0;",
    "border-radius:8px;background:transparent;color:var(--qa-muted)}",
    ".vote .icon{width:16px;height:16px}",
    ".vote:hover{background:var(--qa-surface);color:var(--qa-fg)}",
    ".vote[aria-pressed=true]{color:var(--qa-accent);background:var(--qa-surface)}",
    ".vote[aria-pressed=true] .icon{fill:color-mix(in srgb,var(--qa-accent) 18%,transparent)}",
    ".vote:disabled{cursor:default}",
    ".thanks{font-size:12.5px;color:var(--qa-muted);margin-left:6px}",
    // composer
    ".composer{flex:none;display:flex;align-items:flex-end;gap:8px;padding:10px 12px 12px;",
    "border-top:1px solid var(--qa-border);background:var(--qa-bg)}",
    ".input{flex:1;min-width:0;resize:none;height:44px;min-height:44px;max-height:132px;margin:0;",
    "padding:11px 14px;border:1px solid var(--qa-border);border-radius:14px;background:var(--qa-bg);",
    "color:var(--qa-fg);font:inherit;font-size:15px;line-height:1.4;outline:none}",
    ".input::placeholder{color:var(--qa-muted);opacity:1}",
    ".input:focus{border-color:var(--qa-accent);box-shadow:0 0 0 3px rgba(36,86,224,.15);",
    "box-shadow:0 0 0 3px color-mix(in srgb,var(--qa-accent) 20%,transparent)}",
    ".input:focus-visible{outline:none}",
    ".send{flex:none;width:44px;height:44px;border:0;border-radius:50%;padding:0;display:flex;",
    "align-items:center;justify-content:center;background:var(--qa-accent);color:var(--qa-accent-fg);",
    "transition:opacity .12s}",
    ".send:disabled{opacity:.4;cursor:default}",
    ".send.stop{background:var(--qa-fg);color:var(--qa-bg)}",
    ".fine{flex:none;margin:0;padding:0 16px 10px;font-size:11.5px;color:var(--qa-muted);text-align:center;background:var(--qa-bg)}",
    // passage view
    ".pv{flex:1;min-height:0;display:flex;flex-direction:column}",
    ".pv-bar{flex:none;display:flex;align-items:center;gap:8px;padding:8px 12px;border-bottom:1px solid var(--qa-border)}",
    ".back{display:inline-flex;align-items:center;gap:6px;height:32px;padding:0 10px 0 6px;border:0;",
    "border-radius:8px;background:transparent;color:var(--qa-accent);font-size:14px;font-weight:600}",
    ".back:hover{background:var(--qa-surface)}",
    ".back .icon{width:18px;height:18px}",
    ".pv-head{flex:none;padding:14px 18px 12px}",
    ".pv-meta{display:flex;align-items:center;gap:8px;flex-wrap:wrap}",
    ".pv-label{margin:0}",
    ".badge{display:inline-block;padding:2px 9px;border-radius:999px;font-size:11px;font-weight:700;",
    "letter-spacing:.05em;text-transform:uppercase;background:#fff1c2;color:#7a4b00}",
    ":host([data-theme=dark]) .badge{background:#4a3b12;color:#ffe08a}",
    ".pv-title{margin:8px 0 3px;font-size:17px;line-height:1.3;font-weight:700;letter-spacing:-.01em;outline:none}",
    ".pv-src{font-size:12px;color:var(--qa-muted);overflow-wrap:anywhere}",
    ".pv-text{flex:1;min-height:0;overflow-y:auto;position:relative;margin:0 16px 14px;padding:14px 16px;",
    "border-radius:12px;background:var(--qa-surface);border:1px solid var(--qa-border);",
    "white-space:normal;overflow-wrap:anywhere;font-size:14.5px;line-height:1.7;overscroll-behavior:contain}",
    ".pv-text .nl{white-space:pre}",
    ".pv-text .ctx{color:var(--qa-muted)}",
    ".pv-text .psg{color:var(--qa-fg)}",
    "mark{background:var(--qa-mark);color:var(--qa-mark-fg);border-radius:3px;padding:1px 2px;",
    "-webkit-box-decoration-break:clone;box-decoration-break:clone}",
    ".pv-foot{flex:none;display:flex;align-items:center;flex-wrap:wrap;gap:8px;padding:10px 14px;",
    "border-top:1px solid var(--qa-border)}",
    ".flag{display:inline-flex;align-items:center;gap:7px;height:34px;padding:0 12px;",
    "border:1px solid var(--qa-border);border-radius:999px;background:var(--qa-bg);color:var(--qa-fg);font-size:13px}",
    ".flag:hover{border-color:#d92d20;color:#b42318}",
    ".flag:disabled{opacity:.6;cursor:default}",
    ".flag .icon{width:15px;height:15px}",
    // full screen on phones: come last so they override the rules above
    "@media (max-width:639.98px){.input{font-size:16px}", // iOS zooms into smaller inputs
    ".composer{padding-bottom:calc(12px + env(safe-area-inset-bottom,0px))}",
    ".head{padding-top:calc(12px + env(safe-area-inset-top,0px))}}",
  ].join("");

  // ------------------------------------------------------------ the widget

  var current = null;

  function readScriptConfig(script) {
    if (!script || !script.getAttribute) return {};
    var d = script.dataset || {};
    var cfg = {};
    if (d.api) cfg.api = d.api;
    if (d.title) cfg.title = d.title;
    if (d.welcome) cfg.welcome = d.welcome;
    if (d.placeholder) cfg.placeholder = d.placeholder;
    if (d.launcherLabel) cfg.launcherLabel = d.launcherLabel;
    if (d.position) cfg.position = d.position;
    if (d.theme) cfg.theme = d.theme;
    if (d.open !== undefined) cfg.open = truthy(d.open);
    if (d.persist !== undefined) cfg.persist = truthy(d.persist);
    if (d.topK) cfg.topK = parseInt(d.topK, 10) || null;
    if (d.zIndex) cfg.zIndex = d.zIndex;
    if (d.starters) {
      var s = d.starters.trim();
      if (s.charAt(0) === "[") {
        try {
          cfg.starters = JSON.parse(s);
        } catch (e) {
          cfg.starters = [];
        }
      } else {
        cfg.starters = s.split("|").map(function (x) {
          return x.trim();
        });
      }
    }
    var colors = {};
    var any = false;
    for (var key in THEME_VARS) {
      if (d[key]) {
        colors[key] = d[key];
        any = true;
      }
    }
    if (any) cfg.colors = colors;
    return cfg;
  }

  function scriptOrigin() {
    try {
      return SCRIPT && SCRIPT.src ? new URL(SCRIPT.src, document.baseURI).origin : null;
    } catch (e) {
      return null;
    }
  }

  function normalizeConfig(options) {
    var cfg = {};
    var k;
    for (k in DEFAULTS) cfg[k] = DEFAULTS[k];
    for (k in options) if (options[k] !== undefined) cfg[k] = options[k];
    var api = cfg.api || scriptOrigin();
    if (!api) throw new Error("QAWidget: set data-api (or the `api` option) to the Q&A server URL.");
    var url = new URL(String(api), document.baseURI);
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new Error("QAWidget: the API URL must be http(s).");
    }
    cfg.apiBase = url.origin + url.pathname.replace(/\/+$/, "");
    cfg.apiOrigin = url.origin;
    cfg.title = String(cfg.title || DEFAULTS.title);
    cfg.welcome = cfg.welcome == null ? "" : String(cfg.welcome);
    cfg.starters = (Array.isArray(cfg.starters) ? cfg.starters : [])
      .map(function (x) {
        return String(x).trim();
      })
      .filter(Boolean)
      .slice(0, 6);
    cfg.position = cfg.position === "bottom-left" ? "bottom-left" : "bottom-right";
    // `theme` may be a preset name or an object of colours; `colors` is an alias.
    var colors = {};
    if (cfg.theme && typeof cfg.theme === "object") {
      for (k in cfg.theme) colors[k] = cfg.theme[k];
      cfg.theme = cfg.theme.mode || cfg.theme.preset || "light";
    }
    if (cfg.colors && typeof cfg.colors === "object") {
      for (k in cfg.colors) colors[k] = cfg.colors[k];
    }
    cfg.colors = colors;
    cfg.theme = ["light", "dark", "auto"].indexOf(cfg.theme) >= 0 ? cfg.theme : "light";
    cfg.open = truthy(cfg.open);
    cfg.maxLength = Math.max(1, parseInt(cfg.maxLength, 10) || DEFAULTS.maxLength);
    cfg.storageKey = "qa-widget:v1:" + cfg.apiBase;
    return cfg;
  }

  function Widget(options) {
    var cfg = normalizeConfig(options || {});
    var self = this;
    this.config = cfg;

    var state = {
      open: false,
      messages: [],
      streaming: null, // {controller, msg}
      view: "chat",
      sources: {}, // doc_id -> Promise<SourceDocument>
      nextId: 1,
      scrollLocked: null,
      returnFocus: null,
    };
    var views = {}; // message id -> rendered parts
    var mql = window.matchMedia ? window.matchMedia(NARROW_QUERY) : null;

    // ---- network: every request goes to the configured API and nowhere else
    function apiFetch(path, init) {
      init = init || {};
      init.mode = "cors";
      init.credentials = "omit";
      init.redirect = "error";
      init.cache = "no-store";
      return fetch(cfg.apiBase + path, init);
    }

    function readJSON(response) {
      return response.text().then(
        function (t) {
          try {
            return t ? JSON.parse(t) : null;
          } catch (e) {
            return null;
          }
        },
        function () {
          return null;
        }
      );
    }

    // ---- DOM skeleton
    var host = document.createElement(HOST_TAG);
    host.setAttribute("data-theme", cfg.theme);
    host.setAttribute("data-position", cfg.position);
    for (var key in cfg.colors) {
      if (THEME_VARS[key] && cfg.colors[key] != null) {
        host.style.setProperty(THEME_VARS[key], String(cfg.colors[key]));
      } else if (/^--qa-[a-z0-9-]+$/.test(key)) {
        host.style.setProperty(key, String(cfg.colors[key]));
      }
    }
    if (cfg.zIndex) host.style.setProperty("--qa-z", String(cfg.zIndex));
    var shadow = host.attachShadow({ mode: "open" });
    shadow.appendChild(h("style", { text: CSS }));

    var ids = "qa" + Math.random().toString(36).slice(2, 8);
    var root = h("div", { class: "root" + (cfg.position === "bottom-left" ? " left" : "") });
    shadow.appendChild(root);

    var launcher = h(
      "button",
      {
        type: "button",
        class: "launcher",
        "aria-label": cfg.launcherLabel || "Open chat: " + cfg.title,
        "aria-haspopup": "dialog",
        "aria-expanded": "false",
        "aria-controls": ids + "-panel",
        part: "launcher",
        onclick: function () {
          self.toggle();
        },
      },
      icon("chat", 26)
    );

    var titleEl = h("h2", { class: "title", id: ids + "-title", text: cfg.title });
    var newChatBtn = h(
      "button",
      {
        type: "button",
        class: "new-chat",
        title: "Start a new conversation",
        onclick: function () {
          self.newChat();
        },
      },
      icon("plus", 18),
      "New chat"
    );
    var closeBtn = h(
      "button",
      {
        type: "button",
        class: "close",
        "aria-label": "Close chat",
        title: "Close",
        onclick: function () {
          self.close();
        },
      },
      icon("close", 18)
    );

    var log = h("div", {
      class: "log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions text",
      "aria-label": "Conversation",
    });

    var input = h("textarea", {
      class: "input",
      rows: "1",
      placeholder: cfg.placeholder,
      "aria-label": "Your question",
      maxlength: String(cfg.maxLength),
      enterkeyhint: "send",
    });
    var sendBtn = h("button", { type: "submit", class: "send", "aria-label": "Send question" }, icon("send", 20));
    var composer = h("form", { class: "composer", novalidate: true }, input, sendBtn);
    var fine = h("p", { class: "fine", text: "Answers quote the documents. Check the sources." });

    // passage view
    var pvTitle = h("h3", { class: "pv-title", id: ids + "-pv-title", tabindex: "-1" });
    var pvMeta = h("div", { class: "pv-meta" });
    var pvSrc = h("div", { class: "pv-src" });
    var pvStatus = h("p", { class: "note" });
    var pvText = h("div", { class: "pv-text", tabindex: "0", role: "region", "aria-label": "Cited passage in context" });
    var pvHead = h("div", { class: "pv-head" }, pvMeta, pvTitle, pvSrc, pvStatus);
    var flagBtn = h("button", { type: "button", class: "flag" }, icon("flag", 15), "This source doesn't say that");
    var flagThanks = h("span", { class: "thanks", role: "status" });
    var backBtn = h(
      "button",
      {
        type: "button",
        class: "back",
        onclick: function () {
          showChat(true);
        },
      },
      icon("back", 18),
      "Back to chat"
    );
    var pv = h(
      "section",
      { class: "pv", hidden: true, "aria-labelledby": ids + "-pv-title" },
      h("div", { class: "pv-bar" }, backBtn),
      pvHead,
      pvText,
      h("div", { class: "pv-foot" }, flagBtn, flagThanks)
    );

    var chatView = h("div", { class: "pv" }, log, composer, fine);

    var panel = h(
      "div",
      {
        class: "panel",
        id: ids + "-panel",
        role: "dialog",
        "aria-labelledby": ids + "-title",
        hidden: true,
        part: "panel",
      },
      h("div", { class: "head" }, titleEl, newChatBtn, closeBtn),
      chatView,
      pv
    );

    root.appendChild(launcher);
    root.appendChild(panel);

    // ---- persistence
    function save() {
      if (!cfg.persist) return;
      var msgs = state.messages.slice(-STORED_MESSAGES).map(function (m) {
        return {
          id: m.id,
          role: m.role,
          content: m.content,
          question: m.question,
          citations: m.citations,
          abstained: m.abstained,
          readAs: m.readAs,
          status: m.status === "streaming" ? "stopped" : m.status,
          error: m.error,
          retryable: m.retryable,
          feedback: m.feedback,
          flagged: m.flagged,
        };
      });
      storageSet(cfg.storageKey, { v: 1, open: state.open, messages: msgs });
    }

    function restore() {
      if (!cfg.persist) return null;
      var saved = storageGet(cfg.storageKey);
      if (!saved || saved.v !== 1 || !Array.isArray(saved.messages)) return null;
      state.messages = saved.messages.filter(function (m) {
        return m && (m.role === "user" || m.role === "assistant") && typeof m.content === "string";
      });
      state.messages.forEach(function (m) {
        if (!Array.isArray(m.citations)) m.citations = [];
        if (!Array.isArray(m.flagged)) m.flagged = [];
        if (!m.readAs || typeof m.readAs !== "object") m.readAs = {};
        state.nextId = Math.max(state.nextId, (m.id | 0) + 1);
      });
      return saved;
    }

    function historyForRequest() {
      // Completed exchanges only: a user turn followed by a finished answer.
      var out = [];
      var msgs = state.messages;
      for (var i = 0; i + 1 < msgs.length; i++) {
        var u = msgs[i];
        var a = msgs[i + 1];
        if (u.role === "user" && a.role === "assistant" && a.status === "done" && a.content) {
          out.push({ role: "user", content: u.content });
          out.push({ role: "assistant", content: a.content });
          i++;
        }
      }
      return out.slice(-2 * HISTORY_TURNS);
    }

    // ---- rendering
    function nearBottom() {
      return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    }
    function scrollToBottom(force) {
      if (force || nearBottom()) log.scrollTop = log.scrollHeight;
    }

    function renderWelcome() {
      if (!cfg.welcome && !cfg.starters.length) return;
      var bubble = cfg.welcome ? h("div", { class: "bubble", text: cfg.welcome }) : null;
      var starters = null;
      if (cfg.starters.length && !state.messages.length) {
        starters = h("div", { class: "starters", role: "group", "aria-label": "Suggested questions" });
        cfg.starters.forEach(function (q) {
          starters.appendChild(
            h("button", {
              type: "button",
              class: "starter",
              text: q,
              onclick: function () {
                send(q);
              },
            })
          );
        });
      }
      log.appendChild(h("div", { class: "msg bot welcome" }, bubble, starters));
    }

    // Title, welcome and starter questions the page did not set come from the server
    // (GET /corpus: the operator's settings, or the index), so the widget never speaks
    // of a corpus other than the one it answers from.  On any failure the generic
    // defaults stay.
    function useServerDefaults(given) {
      var wantTitle = !given.title;
      var wantWelcome = given.welcome == null;
      var wantStarters = !given.starters;
      if (!wantTitle && !wantWelcome && !wantStarters) return;
      apiFetch("/corpus", { method: "GET" })
        .then(function (r) {
          return r.ok ? readJSON(r) : null;
        })
        .then(function (info) {
          if (!info || typeof info !== "object" || !host.parentNode) return; // destroyed meanwhile
          if (wantTitle && typeof info.title === "string" && info.title.trim()) {
            cfg.title = info.title.trim();
            titleEl.textContent = cfg.title;
            if (!cfg.launcherLabel) launcher.setAttribute("aria-label", "Open chat: " + cfg.title);
          }
          if (wantWelcome && typeof info.welcome === "string") cfg.welcome = info.welcome;
          if (wantStarters && Array.isArray(info.starters)) {
            cfg.starters = info.starters
              .map(function (x) {
                return String(x).trim();
              })
              .filter(Boolean)
              .slice(0, 6);
          }
          // Re-render the greeting now unless an answer is streaming in (then on the next render).
          if (!state.streaming) renderAll();
        })
        .catch(function () {});
    }

    function renderAll() {
      clear(log);
      views = {};
      renderWelcome();
      state.messages.forEach(function (m) {
        renderMessage(m);
      });
      scrollToBottom(true);
    }

    function citationByN(msg, n) {
      for (var i = 0; i < msg.citations.length; i++) {
        if (Number(msg.citations[i].n) === n) return msg.citations[i];
      }
      return null;
    }

    function citeLabel(c) {
      return "Source " + c.n + ": " + (c.title || c.source || "untitled");
    }

    function makeCiteButton(msg, c) {
      return h("button", {
        type: "button",
        class: "cite",
        "aria-label": citeLabel(c),
        title: c.title || c.source || "",
        "data-n": String(c.n),
        text: String(c.n),
        onclick: function (ev) {
          openPassage(msg, c, ev.currentTarget);
        },
      });
    }

    /** Streams answer text into `el`, turning complete [n] markers into buttons. */
    function AnswerWriter(msg, el) {
      this.msg = msg;
      this.el = el;
      this.pending = "";
      this.unresolved = false;
    }
    AnswerWriter.prototype.text = function (s) {
      if (!s) return;
      var last = this.el.lastChild;
      if (last && last.nodeType === 3) last.appendData(s);
      else this.el.appendChild(document.createTextNode(s));
    };
    AnswerWriter.prototype.push = function (s) {
      this.pending += s;
      for (;;) {
        var m = /\[(\d{1,4})\]/.exec(this.pending);
        if (m) {
          this.text(this.pending.slice(0, m.index));
          var c = citationByN(this.msg, parseInt(m[1], 10));
          if (c) this.el.appendChild(makeCiteButton(this.msg, c));
          else {
            this.unresolved = true;
            this.text(m[0]);
          }
          this.pending = this.pending.slice(m.index + m[0].length);
          continue;
        }
        var k = this.pending.search(/\[\d{0,4}$/);
        if (k === -1) {
          this.text(this.pending);
          this.pending = "";
        } else {
          this.text(this.pending.slice(0, k));
          this.pending = this.pending.slice(k);
        }
        break;
      }
    };
    AnswerWriter.prototype.flush = function () {
      this.text(this.pending);
      this.pending = "";
    };

    function renderSources(msg, v) {
      clear(v.chips);
      var cites = msg.citations || [];
      v.sources.hidden = !cites.length;
      cites.forEach(function (c) {
        var label = citeLabel(c) + (c.section === "comments" ? " (reader comment)" : "");
        v.chips.appendChild(
          h(
            "li",
            null,
            h(
              "button",
              {
                type: "button",
                class: "chip",
                "aria-label": label,
                title: c.title || c.source || "",
                onclick: function (ev) {
                  openPassage(msg, c, ev.currentTarget);
                },
              },
              h("span", { class: "num", text: String(c.n) }),
              h("span", { class: "t", text: c.title || c.source || "Untitled" }),
              c.section === "comments" ? h("span", { class: "tag", text: "Reader comment" }) : null
            )
          )
        );
      });
    }

    /** "Read “boathose” as “boathouse”": how the server read a misspelt question word. */
    function renderReadAs(msg, v) {
      clear(v.readAs);
      var pairs = Object.keys(msg.readAs || {}).filter(function (k) {
        return typeof msg.readAs[k] === "string";
      });
      v.readAs.hidden = !pairs.length;
      pairs.forEach(function (asked, i) {
        append(v.readAs, [
          i ? "; read " : "Read ",
          h("b", { text: "\u201c" + asked + "\u201d" }),
          " as ",
          h("b", { text: "\u201c" + msg.readAs[asked] + "\u201d" }),
        ]);
      });
    }

    function renderAnswerText(msg, v) {
      clear(v.answer);
      var w = new AnswerWriter(msg, v.answer);
      w.push(msg.content || "");
      w.flush();
      v.writer = null;
    }

    function renderActions(msg, v) {
      clear(v.actions);
      if (msg.status !== "done") {
        v.actions.hidden = true;
        return;
      }
      v.actions.hidden = false;
      var thanks = h("span", { class: "thanks", role: "status" });
      function voteButton(kind, label) {
        var pressed = msg.feedback === kind;
        return h(
          "button",
          {
            type: "button",
            class: "vote vote-" + kind,
            "aria-label": label,
            title: label,
            "aria-pressed": pressed ? "true" : "false",
            disabled: msg.feedback ? true : null,
            onclick: function () {
              vote(msg, kind, v);
            },
          },
          icon(kind === "up" ? "up" : "down_vote", 16)
        );
      }
      append(v.actions, [voteButton("up", "Helpful"), voteButton("down", "Not helpful"), thanks]);
      v.thanks = thanks;
      if (msg.feedback) thanks.textContent = "Thanks for the feedback!";
    }

    function renderError(msg, v) {
      clear(v.error);
      v.error.hidden = !msg.error;
      if (!msg.error) return;
      v.error.appendChild(h("span", { class: "txt", text: msg.error }));
      if (msg.retryable && msg.question) {
        v.error.appendChild(
          h("button", {
            type: "button",
            text: "Try again",
            onclick: function () {
              retry(msg);
            },
          })
        );
      }
    }

    function renderStatus(msg, v) {
      clear(v.status);
      if (msg.status === "streaming" && !msg.content) {
        v.status.appendChild(h("span", { class: "dots", "aria-label": "Answering" }, h("i"), h("i"), h("i")));
      } else if (msg.status === "stopped") {
        v.status.appendChild(h("p", { class: "note", text: "Stopped." }));
      }
    }

    function renderMessage(msg) {
      var el;
      if (msg.role === "user") {
        el = h("div", { class: "msg user" }, h("div", { class: "bubble", text: msg.content }));
        views[msg.id] = { el: el };
      } else {
        var chips = h("ol", { class: "chips" });
        var sources = h("div", { class: "sources", hidden: true }, h("p", { class: "label", text: "Sources" }), chips);
        var readAs = h("p", { class: "read-as", hidden: true });
        var answer = h("div", { class: "bubble answer" + (msg.abstained ? " abstained" : "") });
        var status = h("div", { class: "status" });
        var error = h("div", { class: "error", role: "alert", hidden: true });
        var actions = h("div", { class: "actions", hidden: true });
        el = h("div", { class: "msg bot", "data-id": String(msg.id) }, sources, readAs, answer, status, error, actions);
        var v = {
          el: el,
          chips: chips,
          sources: sources,
          readAs: readAs,
          answer: answer,
          status: status,
          error: error,
          actions: actions,
        };
        views[msg.id] = v;
        renderSources(msg, v);
        renderReadAs(msg, v);
        renderAnswerText(msg, v);
        answer.hidden = !msg.content;
        renderStatus(msg, v);
        renderError(msg, v);
        renderActions(msg, v);
      }
      log.appendChild(el);
      return views[msg.id];
    }

    function setStreaming(on) {
      clear(sendBtn);
      if (on) {
        sendBtn.className = "send stop";
        sendBtn.type = "button";
        sendBtn.setAttribute("aria-label", "Stop answering");
        sendBtn.appendChild(icon("stop", 18));
        log.setAttribute("aria-busy", "true");
      } else {
        sendBtn.className = "send";
        sendBtn.type = "submit";
        sendBtn.setAttribute("aria-label", "Send question");
        sendBtn.appendChild(icon("send", 20));
        log.removeAttribute("aria-busy");
      }
    }

    // ---- asking
    function send(question) {
      question = String(question || "").trim();
      if (!question || state.streaming) return;
      if (question.length > cfg.maxLength) question = question.slice(0, cfg.maxLength);
      var history = historyForRequest();
      var starters = log.querySelector(".starters");
      if (starters) starters.parentNode.removeChild(starters);
      var userMsg = { id: state.nextId++, role: "user", content: question };
      state.messages.push(userMsg);
      renderMessage(userMsg);
      var msg = {
        id: state.nextId++,
        role: "assistant",
        question: question,
        content: "",
        citations: [],
        abstained: false,
        readAs: {},
        status: "streaming",
        error: null,
        feedback: null,
        flagged: [],
      };
      state.messages.push(msg);
      var v = renderMessage(msg);
      scrollToBottom(true);
      save();
      stream(msg, v, history);
    }

    function retry(msg) {
      if (state.streaming) return;
      var idx = state.messages.indexOf(msg);
      var question = msg.question;
      // drop the failed exchange (the user turn and the error) and ask again
      if (idx > 0 && state.messages[idx - 1].role === "user") {
        state.messages.splice(idx - 1, 2);
      } else if (idx >= 0) {
        state.messages.splice(idx, 1);
      }
      renderAll();
      send(question);
    }

    function fail(msg, v, text, retryable) {
      msg.status = "error";
      msg.error = text;
      msg.retryable = !!retryable;
      v.answer.hidden = !msg.content;
      renderStatus(msg, v);
      renderError(msg, v);
      renderActions(msg, v);
    }

    function finish() {
      state.streaming = null;
      setStreaming(false);
      save();
      scrollToBottom(false);
    }

    function stream(msg, v, history) {
      var controller = typeof AbortController !== "undefined" ? new AbortController() : null;
      state.streaming = { controller: controller, msg: msg };
      setStreaming(true);
      v.writer = new AnswerWriter(msg, v.answer);
      var gotDone = false;
      var failed = false;

      var body = { question: msg.question, history: history };
      if (cfg.topK) body.top_k = cfg.topK;

      function handle(type, data) {
        var payload;
        try {
          payload = JSON.parse(data);
        } catch (e) {
          return;
        }
        if (type === "citations") {
          msg.citations = (payload && payload.citations) || [];
          renderSources(msg, v);
          scrollToBottom(false);
        } else if (type === "delta") {
          var piece = payload && typeof payload.text === "string" ? payload.text : "";
          if (!piece) return;
          msg.content += piece;
          v.answer.hidden = false;
          v.writer.push(piece);
          renderStatus(msg, v);
          scrollToBottom(false);
        } else if (type === "done") {
          gotDone = true;
          var ans = payload || {};
          if (Array.isArray(ans.citations)) {
            var changed = JSON.stringify(ans.citations) !== JSON.stringify(msg.citations);
            msg.citations = ans.citations;
            if (changed) renderSources(msg, v);
          }
          msg.abstained = !!ans.abstained;
          msg.readAs = ans.read_as && typeof ans.read_as === "object" ? ans.read_as : {};
          renderReadAs(msg, v);
          v.writer.flush();
          if (typeof ans.answer === "string" && (ans.answer !== msg.content || v.writer.unresolved)) {
            msg.content = ans.answer;
            renderAnswerText(msg, v);
          }
          if (msg.abstained) v.answer.className = "bubble answer abstained";
          v.answer.hidden = !msg.content;
          msg.status = "done";
          renderStatus(msg, v);
          renderActions(msg, v);
        } else if (type === "error") {
          failed = true;
          var err = (payload && payload.error) || {};
          v.writer.flush();
          fail(msg, v, err.message || "Something went wrong while answering. Please try again.", true);
        }
      }

      apiFetch("/ask/stream", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) {
            return readJSON(response).then(function (json) {
              failed = true;
              fail(msg, v, httpErrorMessage(response, json), response.status >= 500 || response.status === 429);
            });
          }
          if (!response.body || !response.body.getReader) {
            // No streaming support: read it all, then parse.
            return response.text().then(function (t) {
              var p = new SSEParser(handle);
              p.push(t);
              p.end();
            });
          }
          var reader = response.body.getReader();
          var decoder = new TextDecoder("utf-8");
          var parser = new SSEParser(handle);
          function pump() {
            return reader.read().then(function (r) {
              if (r.done) {
                parser.push(decoder.decode());
                parser.end();
                return;
              }
              parser.push(decoder.decode(r.value, { stream: true }));
              if (failed) {
                reader.cancel().catch(function () {});
                return;
              }
              if (gotDone) {
                // The answer is complete: let the response finish in the background.
                drain(reader);
                return;
              }
              return pump();
            });
          }
          return pump();
        })
        .then(
          function () {
            if (!gotDone && !failed && msg.status === "streaming") {
              v.writer.flush();
              fail(msg, v, "The answer was cut off. Please try again.", true);
            }
            finish();
          },
          function (err) {
            if (err && err.name === "AbortError") {
              v.writer.flush();
              msg.status = "stopped";
              renderStatus(msg, v);
              renderActions(msg, v);
            } else if (msg.status !== "error") {
              v.writer.flush();
              fail(msg, v, NETWORK_MESSAGE, true);
              if (window.console && window.console.warn) {
                window.console.warn(
                  "QAWidget: the request to " + cfg.apiBase + "/ask/stream failed (" + (err && err.message) + "). " +
                    "If the server is up, check that this page's origin (" + window.location.origin +
                    ") is listed in the server's QA_CORS_ORIGINS."
                );
              }
            }
            finish();
          }
        );
    }

    function drain(reader) {
      reader.read().then(
        function (r) {
          if (!r.done) drain(reader);
        },
        function () {}
      );
    }

    function stop() {
      if (state.streaming && state.streaming.controller) state.streaming.controller.abort();
    }

    // ---- feedback
    function slimCitations(cites) {
      return (cites || []).map(function (c) {
        return {
          n: c.n,
          doc_id: c.doc_id,
          source: c.source,
          start: c.start,
          end: c.end,
          quote_start: c.quote_start,
          quote_end: c.quote_end,
        };
      });
    }

    function postFeedback(msg, helpful, badCitation) {
      return apiFetch("/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          question: msg.question || "",
          answer: msg.content || "",
          citations: slimCitations(msg.citations),
          helpful: helpful,
          bad_citation: badCitation == null ? null : badCitation,
          comment: null,
        }),
      }).then(function (response) {
        if (!response.ok) {
          return readJSON(response).then(function (json) {
            throw new Error(httpErrorMessage(response, json));
          });
        }
        return readJSON(response);
      });
    }

    function vote(msg, kind, v) {
      if (msg.feedback) return;
      msg.feedback = kind;
      renderActions(msg, v);
      v.thanks.textContent = "Sending…";
      postFeedback(msg, kind === "up", null).then(
        function () {
          save();
          if (v.thanks) v.thanks.textContent = "Thanks for the feedback!";
        },
        function (err) {
          msg.feedback = null;
          renderActions(msg, v);
          v.thanks.textContent = err && err.message && !/^Failed to fetch|NetworkError/i.test(err.message)
            ? "Couldn't send feedback: " + err.message
            : "Couldn't send feedback. Try again later.";
        }
      );
    }

    // ---- passage view
    var passageToken = 0;
    var passageFor = null; // {msg, citation}

    function fetchSource(docId) {
      if (!state.sources[docId]) {
        state.sources[docId] = apiFetch("/sources/" + encodeURIComponent(docId), {
          headers: { Accept: "application/json" },
        }).then(function (response) {
          if (!response.ok) {
            delete state.sources[docId];
            return readJSON(response).then(function (json) {
              throw new Error(httpErrorMessage(response, json));
            });
          }
          return response.json();
        }, function (err) {
          delete state.sources[docId];
          throw err;
        });
      }
      return state.sources[docId];
    }

    function snapStart(text, lo, from) {
      // Move `from` forward to the start of a paragraph, sentence or word (not past lo bound).
      if (from <= lo) return lo;
      var limit = from + 200;
      var nl = text.indexOf("\n", from);
      if (nl !== -1 && nl < limit) return nl + 1;
      var re = /[.!?]["'”’)]?\s+/g;
      re.lastIndex = from;
      var m = re.exec(text);
      if (m && m.index < limit) return m.index + m[0].length;
      var sp = text.indexOf(" ", from);
      return sp !== -1 && sp < limit ? sp + 1 : from;
    }

    function snapEnd(text, hi, to) {
      if (to >= hi) return hi;
      var floor = Math.max(0, to - 200);
      var nl = text.lastIndexOf("\n", to);
      if (nl !== -1 && nl > floor) return nl;
      var chunk = text.slice(floor, to);
      var re = /[.!?]["'”’)]?(?=\s)/g;
      var m;
      var best = -1;
      while ((m = re.exec(chunk))) best = floor + m.index + m[0].length;
      if (best > floor) return best;
      var sp = text.lastIndexOf(" ", to);
      return sp > floor ? sp : to;
    }

    var BREAK_RUN = /[ \t]*(?:\r\n|\n|\r)[ \t\r\n]*/g;
    var WS = /[ \t\r\n]/;

    /** Is the newline run text[a:b] a real break, or a hard wrap inside a paragraph (PDF text)? */
    function isHardBreak(text, a, b) {
      while (a > 0 && WS.test(text.charAt(a - 1))) a--;
      while (b < text.length && WS.test(text.charAt(b))) b++;
      var run = text.slice(a, b);
      if (/(\r\n|\n|\r)[ \t]*(\r\n|\n|\r)/.test(run)) return true; // blank line: new paragraph
      var lineStart = Math.max(text.lastIndexOf("\n", a - 1), text.lastIndexOf("\r", a - 1)) + 1;
      var prev = text.slice(lineStart, a);
      if (prev.length < 45) return true; // short line: a heading, a list item, a signature
      if (/[.!?:;"”’)\]]$/.test(prev)) return true; // the line ends a sentence
      if (/^(?:[•●◦▪\-–*·]|\d{1,3}[.)])\s/.test(text.slice(b, b + 6))) return true; // a list follows
      return false;
    }

    /** Append text[from:to] to `parent`, verbatim (textContent is exact), laid out as prose:
     *  hard-wrapped lines flow together, paragraph and list breaks stay. */
    function appendFlow(parent, text, from, to) {
      BREAK_RUN.lastIndex = from;
      var pos = from;
      var m;
      while ((m = BREAK_RUN.exec(text)) && m.index < to) {
        var a = m.index;
        var b = Math.min(to, a + m[0].length);
        if (a > pos) parent.appendChild(document.createTextNode(text.slice(pos, a)));
        if (isHardBreak(text, a, a + m[0].length)) parent.appendChild(h("span", { class: "nl", text: text.slice(a, b) }));
        else parent.appendChild(document.createTextNode(text.slice(a, b)));
        pos = b;
        if (m[0].length === 0) BREAK_RUN.lastIndex++;
      }
      if (pos < to) parent.appendChild(document.createTextNode(text.slice(pos, to)));
    }

    function renderPassageText(text, ps, pe, qs, qe, ctxLo, ctxHi) {
      clear(pvText);
      var CONTEXT = 360;
      var cs = snapStart(text, ctxLo, Math.max(ctxLo, ps - CONTEXT));
      var ce = snapEnd(text, ctxHi, Math.min(ctxHi, pe + CONTEXT));
      if (cs > ps) cs = ps;
      if (ce < pe) ce = pe;
      while (cs < ps && WS.test(text.charAt(cs))) cs++;
      while (ce > pe && WS.test(text.charAt(ce - 1))) ce--;
      if (cs < ps) {
        var before = h("span", { class: "ctx" }, cs > ctxLo ? "… " : "");
        appendFlow(before, text, cs, ps);
        pvText.appendChild(before);
      }
      var psg = h("span", { class: "psg" });
      appendFlow(psg, text, ps, qs);
      var mark = h("mark");
      appendFlow(mark, text, qs, qe);
      psg.appendChild(mark);
      appendFlow(psg, text, qe, pe);
      pvText.appendChild(psg);
      if (ce > pe) {
        var after = h("span", { class: "ctx" });
        appendFlow(after, text, pe, ce);
        if (ce < ctxHi) after.appendChild(document.createTextNode(" …"));
        pvText.appendChild(after);
      }
      return mark;
    }

    function scrollMarkIntoView(mark) {
      // Scroll only the passage pane (never the host page).
      var top = 0;
      var el = mark;
      while (el && el !== pvText) {
        top += el.offsetTop;
        el = el.offsetParent;
      }
      pvText.scrollTop = Math.max(0, top - pvText.clientHeight / 3);
    }

    function showPassageFromCitation(c) {
      // Fallback when the whole source cannot be fetched: the passage carried by the citation.
      var text = c.text || c.quote || "";
      var qs = text.indexOf(c.quote || "");
      if (qs < 0 || !c.quote) {
        clear(pvText);
        pvText.appendChild(h("span", { class: "psg", text: text }));
        return null;
      }
      return renderPassageText(text, 0, text.length, qs, qs + c.quote.length, 0, text.length);
    }

    function showPassageFromDocument(doc, c) {
      var text = String(doc.text || "");
      var cp = codePointIndexer(text);
      var ps = cp(c.start);
      var pe = cp(c.end);
      var qs = cp(c.quote_start);
      var qe = cp(c.quote_end);
      if (c.quote && text.slice(qs, qe) !== c.quote) {
        // Offsets disagree with the text (index rebuilt?): find the quote near the passage.
        var at = text.indexOf(c.quote, Math.max(0, ps - 50));
        if (at < 0) at = text.indexOf(c.quote);
        if (at < 0) return showPassageFromCitation(c);
        qs = at;
        qe = at + c.quote.length;
      }
      if (qs < ps) ps = qs;
      if (qe > pe) pe = qe;
      var lo = 0;
      var hi = text.length;
      var segs = Array.isArray(doc.segments) ? doc.segments : [];
      for (var i = 0; i < segs.length; i++) {
        var s = cp(segs[i].start);
        var e = cp(segs[i].end);
        if (s <= ps && pe <= e) {
          lo = s;
          hi = e;
          break;
        }
      }
      return renderPassageText(text, ps, pe, qs, qe, lo, hi);
    }

    function openPassage(msg, c, trigger) {
      var token = ++passageToken;
      passageFor = { msg: msg, citation: c };
      state.returnFocus = trigger || null;
      clear(pvMeta);
      pvMeta.appendChild(h("span", { class: "num", text: String(c.n) }));
      pvMeta.appendChild(h("span", { class: "label pv-label", text: "Source" }));
      if (c.section === "comments") pvMeta.appendChild(h("span", { class: "badge", text: "Reader comment" }));
      pvTitle.textContent = c.title || c.source || "Untitled";
      pvSrc.textContent = c.source || "";
      pvSrc.hidden = !c.source;
      clear(pvText);
      pvStatus.textContent = "Loading the source…";
      pvStatus.hidden = false;
      var flagged = msg.flagged && msg.flagged.indexOf(c.n) >= 0;
      flagBtn.disabled = !!flagged || msg.status !== "done";
      flagThanks.textContent = flagged ? "Thanks, we'll check this source." : "";
      chatView.hidden = true;
      pv.hidden = false;
      pvText.scrollTop = 0;
      pvTitle.focus();
      fetchSource(c.doc_id).then(
        function (doc) {
          if (token !== passageToken) return;
          pvStatus.hidden = true;
          if (doc && doc.title) pvTitle.textContent = doc.title;
          var mark = showPassageFromDocument(doc, c);
          if (mark) scrollMarkIntoView(mark);
        },
        function () {
          if (token !== passageToken) return;
          pvStatus.textContent = "Couldn't load the whole source; showing the cited passage.";
          var mark = showPassageFromCitation(c);
          if (mark) scrollMarkIntoView(mark);
        }
      );
    }

    flagBtn.addEventListener("click", function () {
      if (!passageFor) return;
      var msg = passageFor.msg;
      var c = passageFor.citation;
      flagBtn.disabled = true;
      flagThanks.textContent = "Sending…";
      postFeedback(msg, false, c.n).then(
        function () {
          if (msg.flagged.indexOf(c.n) < 0) msg.flagged.push(c.n);
          save();
          if (passageFor && passageFor.citation === c) flagThanks.textContent = "Thanks, we'll check this source.";
        },
        function () {
          flagBtn.disabled = false;
          flagThanks.textContent = "Couldn't send feedback. Try again later.";
        }
      );
    });

    function showChat(restoreFocus) {
      passageToken++;
      passageFor = null;
      pv.hidden = true;
      chatView.hidden = false;
      if (restoreFocus) {
        var target = state.returnFocus;
        if (target && target.isConnected) target.focus();
        else input.focus();
      }
      state.returnFocus = null;
    }

    // ---- open / close, modality and scroll lock
    function isNarrow() {
      return !!(mql && mql.matches);
    }

    function applyModality() {
      var modal = state.open && isNarrow();
      if (modal) panel.setAttribute("aria-modal", "true");
      else panel.removeAttribute("aria-modal");
      if (modal && !state.scrollLocked) {
        var b = document.body;
        var de = document.documentElement;
        state.scrollLocked = {
          body: b ? b.style.overflow : "",
          html: de.style.overflow,
        };
        if (b) b.style.overflow = "hidden";
        de.style.overflow = "hidden";
      } else if (!modal && state.scrollLocked) {
        if (document.body) document.body.style.overflow = state.scrollLocked.body;
        document.documentElement.style.overflow = state.scrollLocked.html;
        state.scrollLocked = null;
      }
    }

    function onMediaChange() {
      applyModality();
    }
    if (mql) {
      if (mql.addEventListener) mql.addEventListener("change", onMediaChange);
      else if (mql.addListener) mql.addListener(onMediaChange);
    }

    function focusables() {
      var list = panel.querySelectorAll("button, textarea, input, a[href], [tabindex]");
      var out = [];
      for (var i = 0; i < list.length; i++) {
        var el = list[i];
        if (el.disabled || el.getAttribute("tabindex") === "-1") continue;
        if (!el.getClientRects().length) continue; // hidden
        out.push(el);
      }
      return out;
    }

    panel.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" || ev.key === "Esc") {
        ev.preventDefault();
        ev.stopPropagation();
        self.close();
        return;
      }
      if (ev.key === "Tab" && panel.getAttribute("aria-modal") === "true") {
        // Keep focus inside the full-screen dialog.
        var items = focusables();
        if (!items.length) return;
        var first = items[0];
        var last = items[items.length - 1];
        var active = shadow.activeElement;
        if (ev.shiftKey && (active === first || items.indexOf(active) < 0)) {
          ev.preventDefault();
          last.focus();
        } else if (!ev.shiftKey && (active === last || items.indexOf(active) < 0)) {
          ev.preventDefault();
          first.focus();
        }
      }
    });

    composer.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (state.streaming) return;
      var q = input.value;
      if (!q.trim()) {
        input.focus();
        return;
      }
      input.value = "";
      autosize();
      send(q);
    });
    sendBtn.addEventListener("click", function (ev) {
      if (state.streaming) {
        ev.preventDefault();
        stop();
        input.focus();
      }
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        if (!state.streaming) {
          if (composer.requestSubmit) composer.requestSubmit();
          else composer.dispatchEvent(new Event("submit", { cancelable: true }));
        }
      }
    });
    function autosize() {
      input.style.height = "auto";
      input.style.height = Math.min(132, Math.max(44, input.scrollHeight + 2)) + "px";
    }
    input.addEventListener("input", autosize);

    // ---- public methods
    this.open = function () {
      if (state.open) return;
      state.open = true;
      panel.hidden = false;
      root.classList.add("is-open");
      launcher.setAttribute("aria-expanded", "true");
      clear(launcher);
      launcher.appendChild(icon("down", 26));
      applyModality();
      save();
      scrollToBottom(true);
      if (!pv.hidden) pvTitle.focus();
      else input.focus();
    };
    this.close = function () {
      if (!state.open) return;
      state.open = false;
      panel.hidden = true;
      root.classList.remove("is-open");
      launcher.setAttribute("aria-expanded", "false");
      clear(launcher);
      launcher.appendChild(icon("chat", 26));
      applyModality();
      save();
      launcher.focus();
    };
    this.toggle = function () {
      if (state.open) self.close();
      else self.open();
    };
    this.ask = function (question) {
      self.open();
      showChat(false);
      send(question);
    };
    this.stop = stop;
    this.newChat = function () {
      stop();
      state.streaming = null;
      setStreaming(false);
      state.messages = [];
      storageRemove(cfg.storageKey);
      showChat(false);
      renderAll();
      save();
      input.value = "";
      autosize();
      input.focus();
    };
    this.destroy = function () {
      stop();
      state.open = false;
      applyModality();
      if (mql) {
        if (mql.removeEventListener) mql.removeEventListener("change", onMediaChange);
        else if (mql.removeListener) mql.removeListener(onMediaChange);
      }
      if (host.parentNode) host.parentNode.removeChild(host);
      if (current === self) current = null;
    };
    this.element = host;

    // ---- start
    var saved = restore();
    renderAll();
    (document.body || document.documentElement).appendChild(host);
    useServerDefaults(options || {});
    var startOpen = saved && typeof saved.open === "boolean" ? saved.open : cfg.open;
    if (startOpen) {
      // Open without stealing focus from the host page on load.
      state.open = true;
      panel.hidden = false;
      root.classList.add("is-open");
      launcher.setAttribute("aria-expanded", "true");
      clear(launcher);
      launcher.appendChild(icon("down", 26));
      applyModality();
      scrollToBottom(true);
    }
  }

  function whenReady(fn) {
    if (document.body) fn();
    else document.addEventListener("DOMContentLoaded", fn, { once: true });
  }

  function init(options) {
    if (current) current.destroy();
    current = new Widget(options || {});
    return current;
  }

  function call(name) {
    return function (arg) {
      if (!current) throw new Error("QAWidget: call QAWidget.init() first.");
      return current[name](arg);
    };
  }

  window.QAWidget = {
    version: VERSION,
    init: function (options) {
      var cfg = {};
      // data-* on the script tag give defaults that explicit options override
      var fromScript = readScriptConfig(SCRIPT);
      var k;
      for (k in fromScript) cfg[k] = fromScript[k];
      for (k in options || {}) cfg[k] = options[k];
      return init(cfg);
    },
    open: call("open"),
    close: call("close"),
    toggle: call("toggle"),
    ask: call("ask"),
    stop: call("stop"),
    newChat: call("newChat"),
    destroy: function () {
      if (current) current.destroy();
    },
    get instance() {
      return current;
    },
  };

  // Auto-start from the snippet's data attributes (data-api present, data-auto-init not "false").
  if (SCRIPT && SCRIPT.hasAttribute && SCRIPT.hasAttribute("data-api") && SCRIPT.getAttribute("data-auto-init") !== "false") {
    whenReady(function () {
      if (!current) {
        try {
          init(readScriptConfig(SCRIPT));
        } catch (e) {
          if (window.console) window.console.error(e);
        }
      }
    });
  }
})();
