/* The "Try it" panel on endpoint pages: fill the request in, see the snippets follow, send it.
 *
 * Markup and data come from generator/explorer/panel.py; escaping comes from the quoting twin
 * (apidocsQuoting) loaded before this file. No framework: native form controls, fetch, and the
 * document$ observable Material emits on every (instant) page load.
 */
(function () {
  "use strict";

  // Each page with a panel carries this script in its content, which instant navigation runs
  // again: the first run serves the whole tab (its document$ subscription starts every panel).
  if (window.apidocsExplorerLoaded) return;
  window.apidocsExplorerLoaded = true;

  const Q = window.apidocsQuoting;
  // The token lives in this variable: Material's instant navigation keeps this script's context,
  // so it follows the reader from page to page in the tab and is gone on reload or close. It is
  // written to localStorage only while the reader ticks "Remember on this device" (consent to
  // keep it past the tab; sessionStorage would forget it with the tab, which is not what
  // "remember" promises, and is no less readable by scripts on the origin).
  const TOKEN_KEY = "apidocs.explorer.token";
  let typedToken = null;
  const SERVER_KEY = "apidocs.explorer.server";
  // The reader's sandbox session (`Sandbox-Session`, see writers/publishing.md): a random id sent to
  // sandbox servers only, so this reader's confirms never reach another's page. It names the
  // reader's sandbox data, not the reader, and grants nothing on the real API: it is kept for the
  // tab in sessionStorage, so a reload or a page loaded whole (a site built without `site_url`,
  // where Material's instant navigation is off) does not start the reader over with fresh data;
  // it is gone with the tab. In localStorage only while "Remember on this device" is ticked.
  const SESSION_KEY = "apidocs.explorer.sandbox-session";
  const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;
  let readerSession = null;

  function newSession() {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const random = crypto.getRandomValues(new Uint8Array(20)); // 20 × log2(62) ≈ 119 bits
    return "reader-" + Array.from(random, (byte) => alphabet[byte % alphabet.length]).join("");
  }
  const SHOW_LIMIT = 200 * 1024; // characters shown before "Show all"
  const PRETTY_LIMIT = 2 * 1024 * 1024; // larger bodies are shown as sent, not re-indented
  const TIMEOUT_MS = 30000;
  const REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently", 302: "Found",
    304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    408: "Request Timeout", 409: "Conflict", 410: "Gone", 413: "Content Too Large", 415: "Unsupported Media Type",
    422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
  };

  // Storage can be missing or throw (privacy modes, sandboxed frames); the panel works without.
  function storage(kind) {
    try {
      return window[kind] || null;
    } catch (error) {
      return null;
    }
  }

  function load(kind, key) {
    const store = storage(kind);
    try {
      return store ? store.getItem(key) : null;
    } catch (error) {
      return null;
    }
  }

  function save(kind, key, value) {
    const store = storage(kind);
    try {
      if (store && value === null) store.removeItem(key);
      else if (store) store.setItem(key, value);
    } catch (error) {
      /* quota or privacy mode: the value just lives in the form */
    }
  }

  // --- Snippets: literal text and expressions (see explorer/slots.py) ---

  function evaluate(expr, values) {
    if ("slot" in expr) return values[expr.slot];
    if ("s" in expr) return expr.s;
    if ("j" in expr) return Q.parseJson(expr.j);
    if ("l" in expr) return expr.l.map((item) => evaluate(item, values));
    if ("d" in expr) {
      const object = new Q.Obj();
      for (const [key, value] of expr.d) object.set(evaluate(key, values), evaluate(value, values));
      return object;
    }
    if ("attr" in expr) {
      const record = evaluate(expr.of, values); // a record of the twin's (a multipart Part): its own fields only
      if (!(record instanceof Q.Part) || !Object.prototype.hasOwnProperty.call(record, expr.attr)) throw new Error(`no attribute ${expr.attr}`);
      return record[expr.attr];
    }
    return Q.FILTERS[expr.f](...expr.a.map((arg) => evaluate(arg, values)));
  }

  // What one part writes: its text, its expression's value, or a loop's body for each record,
  // the body recorded for the record's case (slots.py's `_written`).
  function written(part, values) {
    if (typeof part === "string") return part;
    if (!("each" in part)) return Q.str(evaluate(part, values));
    return evaluate(part.each, values).map((record) => {
      const chosen = part.cases.find((item) => Object.entries(item.when).every(([name, value]) => record[name] === value));
      if (!chosen) throw new Error("the template wrote nothing for such a record");
      const inside = { ...values, [part.item]: record };
      return chosen.parts.map((inner) => written(inner, inside)).join("");
    }).join("");
  }

  function pieces(parts, values) {
    return parts.map((part) => written(part, values));
  }

  // render_snippet's finish: no newlines around, exactly one at the end.
  function finish(text) {
    return text.replace(/^\n+/, "").replace(/\n+$/, "") + "\n";
  }

  const trimEnd = (text) => text.replace(/\s+$/, "");

  // One snippet tab. The build highlighted the example; to keep the colours, each slot's new
  // text goes into the highlighted text node where the example's value started, and literal
  // text stays where it was. When that cannot reproduce the snippet, the code becomes plain text.
  class LiveCode {
    constructor(code, parts, exampleValues) {
      this.code = code;
      this.parts = parts;
      this.map = null;
      try {
        const example = pieces(parts, exampleValues);
        const joined = example.join("");
        const lead = joined.length - joined.replace(/^\n+/, "").length;
        const visible = trimEnd(finish(joined)).length;
        if (trimEnd(code.textContent) !== trimEnd(finish(joined))) return;
        let at = -lead;
        const spans = example.map((piece) => [at, (at += piece.length)]);
        const inside = parts.every((part, i) => typeof part === "string" || (spans[i][0] >= 0 && spans[i][1] <= visible));
        if (!inside) return;
        const nodes = [];
        const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
        let offset = 0;
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          nodes.push([node, offset, (offset += node.data.length)]);
        }
        this.map = { spans, nodes };
      } catch (error) {
        this.map = null;
      }
    }

    show(texts) {
      const expected = finish(texts.join(""));
      if (this.map) {
        const { spans, nodes } = this.map;
        const last = nodes.length - 1;
        nodes.forEach(([node, start, end], index) => {
          let out = "";
          this.parts.forEach((part, i) => {
            const [from, to] = spans[i];
            if (typeof part === "string") {
              const a = Math.max(start, from);
              const b = Math.min(end, to);
              if (a < b) out += part.slice(a - from, b - from);
            } else if ((from >= start && from < end) || (index === last && from >= end)) {
              out += texts[i];
            }
          });
          if (node.data !== out) node.data = out;
        });
        if (trimEnd(this.code.textContent) === trimEnd(expected)) return;
        this.map = null;
      }
      this.code.textContent = expected;
    }
  }

  // --- The panel ---

  // How the snippets name a chosen file (the twin's, held by test_explorer_quoting).
  const plainFileName = Q.plainFileName;

  function field(root, name) {
    return root.querySelector(`[data-field="${name}"]`);
  }

  class Explorer {
    constructor(root) {
      this.root = root;
      this.data = JSON.parse(root.getAttribute("data-apidocs-explorer"));
      // How the form's lists travel (member → "repeat", "index" or a delimiter), as the twin's
      // form_text takes it: an Obj, as the snippets' `{"j": …}` argument parses.
      this.formLists = new Q.Obj();
      for (const [name, style] of Object.entries(this.data.form_lists || {})) this.formLists.set(name, style);
      // A multipart body's file members (panel.py's `_uploads`), each with its file input.
      this.uploads = this.data.uploads || [];
      this.fileFields = this.uploads.map((upload) => upload.field);
      this.fileInputs = this.uploads.map((_, index) => root.querySelector(`[data-upload="${index}"]`));
      this.form = root.querySelector("form");
      this.server = field(root, "server");
      this.token = field(root, "token");
      this.remember = field(root, "remember");
      this.body = field(root, "body");
      // The example as the body editor shows it: a text box holds no CR (nor NUL), so while the
      // reader leaves it so, a body sent as it is stays the example's very text.
      this.untouchedBody = this.body ? this.body.value : null;
      // A body that is a file (panel.py's `body_file`): its input stands for the body editor.
      this.bodyFile = this.data.body_file ? field(root, "body-file") : null;
      this.status = root.querySelector("[role=status]");
      this.detail = root.querySelector(".apidocs-explorer-detail");
      this.via = root.querySelector(".apidocs-explorer-via");
      this.bodyError = root.querySelector(".apidocs-explorer-body-error");
      this.busy = false;
      this.parsedBody = undefined;
      this.bodyProblem = null;
      this.bodyRefusal = null; // what "Not sent" says about the body: not JSON, or not a form
      this.codes = [];
      // Right under the snippet tabs it drives, above the documented example responses.
      const aside = root.closest(".apidocs-aside");
      const tabs = aside && aside.querySelector(".tabbed-set");
      if (tabs && tabs.nextElementSibling !== root) tabs.after(root);
      this.restore();
      this.bindSnippets();
      this.listen();
      this.refresh();
      root.hidden = false;
      root.setAttribute("data-ready", "");
    }

    restore() {
      save("sessionStorage", TOKEN_KEY, null); // left there, without consent, by earlier versions
      const remembered = load("localStorage", TOKEN_KEY);
      const token = typedToken !== null ? typedToken : remembered;
      if (token !== null && this.token) this.token.value = token;
      if (this.remember) this.remember.checked = remembered !== null;
      if (readerSession === null) {
        const kept = [load("localStorage", SESSION_KEY), load("sessionStorage", SESSION_KEY)]
          .find((id) => id !== null && SESSION_ID.test(id));
        readerSession = kept || newSession();
        save("sessionStorage", SESSION_KEY, readerSession);
      }
      this.showTokenSource(token === null ? "page" : "reader");
      const server = load("sessionStorage", SERVER_KEY);
      const option = [...this.server.options].find((item) => item.dataset.key === server);
      if (option) this.server.value = option.value;
    }

    // Says where the token in the field comes from; when it is the reader's and this page
    // documents another one (a retailer's endpoint after a supplier's), offers the page's.
    showTokenSource(origin) {
      if (!this.token) return;
      const auth = this.data.auth;
      const source = this.root.querySelector(".apidocs-explorer-source");
      const offer = this.root.querySelector(".apidocs-explorer-offer");
      const ending = (text) => (text.length > 4 ? `…${text.slice(-4)}` : text);
      if (origin === "page") {
        source.textContent = auth.own ? "From this endpoint's example (a demo token for its role)." : "The docs' demo token.";
      } else {
        const kept = this.remember && this.remember.checked ? "remembered on this device" : "kept in this tab only";
        source.textContent = `Your token (${kept}), used on every page.`;
      }
      const differs = origin === "reader" && auth.own && this.token.value !== auth.token;
      offer.hidden = !differs;
      if (differs) offer.querySelector("span").textContent =
        `This endpoint's example uses another token (${ending(auth.token)}); yours may not be allowed here.`;
    }

    bindSnippets() {
      const aside = this.root.closest(".apidocs-aside") || document;
      const set = aside.querySelector(".tabbed-set");
      if (!set) return;
      const labels = set.querySelectorAll(":scope > .tabbed-labels > label");
      const blocks = set.querySelectorAll(":scope > .tabbed-content > .tabbed-block");
      const example = this.values(this.exampleInput());
      this.data.snippets.forEach((snippet, index) => {
        const code = blocks[index] && blocks[index].querySelector("pre > code");
        if (!snippet.parts || !code || !labels[index] || labels[index].textContent.trim() !== snippet.label) return;
        const note = document.createElement("p");
        note.className = "apidocs-explorer-note";
        note.hidden = true;
        blocks[index].prepend(note);
        const sandboxParts = this.data.sandboxSnippets ? this.data.sandboxSnippets[index] : null;
        this.codes.push({ live: new LiveCode(code, snippet.parts, example), parts: snippet.parts, note, code,
          sandboxParts, highlighted: [...code.childNodes] });
      });
    }

    listen() {
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.send();
      });
      this.root.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          this.send();
        }
      });
      let pending = false;
      this.form.addEventListener("input", () => {
        if (pending) return;
        pending = true;
        requestAnimationFrame(() => {
          pending = false;
          this.refresh();
        });
      });
      this.server.addEventListener("change", () => {
        save("sessionStorage", SERVER_KEY, this.server.selectedOptions[0].dataset.key);
      });
      if (this.token) {
        this.token.addEventListener("input", () => {
          typedToken = this.token.value;
          if (this.remember && this.remember.checked) save("localStorage", TOKEN_KEY, this.token.value);
          if (this.remember && this.remember.checked) save("localStorage", SESSION_KEY, readerSession);
          this.showTokenSource("reader");
        });
        const use = this.root.querySelector("[data-action=use-documented]");
        use.addEventListener("click", () => {
          this.token.value = this.data.auth.token; // for this page; the reader's token stays for the others
          this.showTokenSource("page");
          this.refresh();
          this.token.focus();
        });
      }
      const reveal = this.root.querySelector("[data-action=reveal]");
      if (reveal) {
        reveal.addEventListener("click", () => {
          const shown = this.token.type === "password";
          this.token.type = shown ? "text" : "password";
          reveal.setAttribute("aria-pressed", String(shown));
        });
      }
      if (this.remember) {
        this.remember.addEventListener("change", () => {
          save("localStorage", TOKEN_KEY, this.remember.checked ? this.token.value : null);
          save("localStorage", SESSION_KEY, this.remember.checked ? readerSession : null);
          // Not kept on the device any more, still used in this tab (Forget drops it everywhere).
          if (!this.remember.checked && this.token.value !== this.data.auth.token) typedToken = this.token.value;
          if (this.remember.checked || typedToken !== null) this.showTokenSource("reader");
        });
      }
      const forget = this.root.querySelector("[data-action=forget]");
      if (forget) {
        forget.addEventListener("click", () => {
          save("localStorage", TOKEN_KEY, null);
          save("localStorage", SESSION_KEY, null); // the session stays with this tab
          typedToken = null;
          this.token.value = this.data.auth.token;
          this.remember.checked = false;
          this.showTokenSource("page");
          this.refresh();
          this.say("", "Token forgotten on this device; the page's documented token is back.");
        });
      }
      const resetSandbox = this.root.querySelector("[data-action=reset-sandbox]");
      if (resetSandbox) resetSandbox.addEventListener("click", () => this.resetSandbox());
      const all = this.root.querySelector("[data-action=show-all]");
      all.addEventListener("click", () => {
        this.root.querySelector(".apidocs-explorer-body code").textContent = this.fullBody;
        all.hidden = true;
      });
    }

    // The example's own values, as the build rendered the snippets with them.
    exampleInput() {
      const data = this.data;
      return {
        base: data.exampleBase,
        params: Object.fromEntries(data.params.map((param) => [param.name, param.value])),
        query: data.query.map((item) => [item.name, item.value]),
        headers: data.headers.map((header) => [header.name, header.value]),
        body: data.body === null ? null : this.withFiles(Q.parseJson(data.body), false),
      };
    }

    // The body the snippets show and Send sends: for a multipart body, the reader's JSON fields
    // with each file member back at its place in the example, holding the names of the files
    // chosen (when `chosen` and the reader chose some) or else the example's.
    withFiles(fields, chosen) {
      if (!this.data.multipart || !(fields instanceof Q.Obj)) return fields;
      const body = new Q.Obj();
      body.keys = [...fields.keys];
      body.values = [...fields.values];
      this.uploads.forEach((upload, index) => { // first place first, so each lands where it was
        const files = chosen ? [...this.fileInputs[index].files] : [];
        const names = files.length ? files.map((file) => plainFileName(file.name)) : upload.names;
        const at = Math.min(upload.at, body.keys.length);
        body.keys.splice(at, 0, upload.field);
        body.values.splice(at, 0, upload.multiple ? names : names[0]);
      });
      return body;
    }

    // The multipart body as FormData (the browser writes its Content-Type, with the boundary):
    // the parts the snippets send, each file part the next file chosen for its field, or the
    // placeholder of its example name when none is chosen.
    formData(body) {
      const files = new Map(this.uploads.map((upload, index) => {
        const chosen = [...this.fileInputs[index].files];
        const placeholders = upload.names.map((name, at) => new File([upload.placeholders[at]], name));
        return [upload.field, chosen.length ? chosen : placeholders];
      }));
      const form = new FormData();
      for (const part of Q.FILTERS.multipart_parts(body, this.fileFields, this.formLists)) {
        if (part.is_file) form.append(part.name, files.get(part.name).shift());
        else form.append(part.name, part.value);
      }
      return form;
    }

    // A body that is a file: the name the snippets give it, the chosen file's (as a plain file
    // name) or else the example's.
    bodyFileName() {
      const [file] = this.bodyFile.files;
      return file ? plainFileName(file.name) : this.data.body_file.name;
    }

    // What Send uploads as a body that is a file: the file chosen, or else the placeholder named
    // as in the example.
    bodyFileToSend() {
      const [file] = this.bodyFile.files;
      return file || new File([this.data.body_file.placeholder], this.data.body_file.name);
    }

    // Under each file input (a multipart member's, a body that is a file): what Send uploads.
    describeUploads() {
      this.uploads.forEach((upload, index) => this.describeFiles(this.fileInputs[index], upload.names));
      if (this.bodyFile) this.describeFiles(this.bodyFile, [this.data.body_file.name]);
    }

    // What Send uploads from `input` when none is chosen (placeholders named `names`), and the
    // name the snippets give a chosen file whose own name they cannot write.
    describeFiles(input, names) {
      const hint = this.root.querySelector(`#${input.id}-hint`);
      const chosen = [...input.files].map((file) => file.name);
      const renamed = chosen.filter((name) => plainFileName(name) !== name);
      let text = "";
      if (!chosen.length) {
        text = names.length ? `None chosen: Send uploads a small placeholder named ${names.join(", ")}.` : "None chosen: no file is sent.";
      } else if (renamed.length) {
        text = `The snippets name ${renamed.length > 1 ? "them" : "it"} ${renamed.map(plainFileName).join(", ")}: ` +
          "their file names are letters, digits, \".\", \"_\" and \"-\".";
      }
      if (hint.textContent !== text) hint.textContent = text;
      hint.hidden = !text;
    }

    selectedServer() {
      const option = this.server.selectedOptions[0];
      if (!option) return null;
      if (option.dataset.key === "sandbox") return { base: location.origin + this.data.sandbox, proxied: false, label: "sandbox", ours: true };
      const server = this.data.servers[Number(option.value)];
      return { base: server.url, proxied: Boolean(this.data.proxy), label: server.url, sandbox: Boolean(server.sandbox), ours: Boolean(server.sandbox) };
    }

    input() {
      const data = this.data;
      const value = (name) => field(this.root, name).value;
      const server = this.selectedServer();
      const headers = data.headers.map((header, index) => {
        if (header.auth) return [header.name, `${data.auth.scheme} ${this.token.value}`.trim()];
        return [header.name, value(`header-${index}`)];
      });
      if (server && server.sandbox) headers.push([data.sessionHeader, readerSession]); // last, as in sandboxSnippets
      return {
        base: server ? server.base : data.exampleBase,
        params: Object.fromEntries(data.params.map((param, index) => [param.name, value(`param-${index}`)])),
        query: data.query.map((item, index) => [item.name, item.auth ? this.token.value : value(`query-${index}`)]),
        headers,
        body: this.bodyFile ? this.bodyFileName() : this.withFiles(this.parsedBody, true),
      };
    }

    // The slot values of explorer/slots.py's slot_values(), computed from the form.
    values(input) {
      const path = this.data.path.replace(/\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g, (_, name) => Q.quote(input.params[name] || ""));
      const query = input.query.filter(([, value]) => value !== "");
      const queryString = query.map(([name, value]) => `${Q.quote(name)}=${Q.quote(value)}`).join("&");
      const target = path + (query.length ? `?${queryString}` : "");
      const headerMap = new Q.Obj();
      input.headers.forEach(([name, value]) => headerMap.set(name, value));
      const values = {
        url: input.base.replace(/\/+$/, "") + target, base_url: input.base, path, query, query_string: queryString,
        target, scheme: /^https:/i.test(input.base) ? "https" : "http", headers: input.headers, header_map: headerMap,
        body: input.body,
      };
      input.headers.forEach(([, value], index) => {
        values[`header.${index}`] = value;
      });
      return values;
    }

    // A body sent as it is: the text in the editor (the example's own while untouched), its line
    // breaks CRLF when the example's are.
    rawText() {
      const typed = this.body.value;
      if (typed === this.untouchedBody) return Q.parseJson(this.data.body);
      return this.data.crlf ? typed.replace(/\n/g, "\r\n") : typed;
    }

    parseBody() {
      if (!this.body) return;
      this.bodyProblem = null;
      let parsed;
      if (this.data.raw) {
        parsed = this.rawText();
        if (/\p{Cs}/u.test(parsed)) { // half of a UTF-16 pair: UTF-8 has no bytes for it
          this.bodyProblem = "Body cannot be sent as UTF-8 text: it holds a lone surrogate.";
          this.bodyRefusal = "Not sent: the body is not UTF-8 text.";
        }
      } else {
        try {
          if (!this.body.value.trim()) throw new SyntaxError("it is empty (write JSON, e.g. {})");
          parsed = Q.parseJson(this.body.value);
        } catch (error) {
          this.bodyProblem = `Body is not valid JSON: ${error.message}.`;
          this.bodyRefusal = "Not sent: the body is not valid JSON.";
        }
      }
      if (!this.bodyProblem && this.data.form) {
        // A form endpoint sends the object's fields: a list, a scalar or a lone surrogate cannot go.
        try {
          Q.FILTERS.form_text(parsed, this.formLists);
        } catch (error) {
          this.bodyProblem = `Body cannot be sent as form fields: ${error.message}.`;
          this.bodyRefusal = "Not sent: the body cannot be sent as form fields.";
        }
      }
      if (!this.bodyProblem && this.data.multipart) {
        // Its fields as multipart parts; the files come from their own inputs, not from the JSON.
        try {
          const typed = parsed instanceof Q.Obj && this.fileFields.find((name) => parsed.keys.includes(name));
          if (typed) throw new Q.QuotingError(`${typed} is a file: choose it under Files, not in the JSON`);
          Q.FILTERS.multipart_parts(this.withFiles(parsed, true), this.fileFields, this.formLists);
        } catch (error) {
          this.bodyProblem = `Body cannot be sent as multipart fields: ${error.message}.`;
          this.bodyRefusal = "Not sent: the body cannot be sent as multipart fields.";
        }
      }
      if (!this.bodyProblem) this.parsedBody = parsed;
      this.body.setAttribute("aria-invalid", this.bodyProblem ? "true" : "false");
      this.bodyError.textContent = this.bodyProblem || "";
      this.bodyError.hidden = !this.bodyProblem;
    }

    refresh() {
      this.parseBody();
      this.describeUploads();
      const server = this.selectedServer();
      this.via.hidden = !(server && server.proxied);
      if (this.bodyProblem) return; // the snippets keep the last request that could be sent
      const values = this.values(this.input());
      const sandbox = Boolean(server && server.sandbox && this.data.sandboxSnippets);
      const session = this.root.querySelector(".apidocs-explorer-session");
      if (session) {
        session.hidden = !sandbox;
        session.querySelector("code").textContent = readerSession;
      }
      for (const item of this.codes) {
        try {
          if (sandbox) {
            // The page's highlighting is of the snippet without the session: plain text here.
            if (!item.sandboxParts) throw new Error("this tab's template cannot show the sandbox session header");
            item.code.textContent = finish(pieces(item.sandboxParts, values).join(""));
            item.note.hidden = true;
            continue;
          }
          if (item.code.firstChild !== item.highlighted[0]) item.code.replaceChildren(...item.highlighted);
          item.live.show(pieces(item.parts, values));
          item.note.hidden = true;
        } catch (error) {
          item.code.textContent = "";
          item.note.textContent = `This snippet cannot express the request: ${error.message}`;
          item.note.hidden = false;
        }
      }
    }

    // POST /_sandbox/reset with the reader's session: their orders back to the fixtures.
    async resetSandbox() {
      const server = this.selectedServer();
      if (this.busy || !server || !server.sandbox) return;
      this.busy = true;
      this.clearResponse();
      this.say("busy", "Resetting your sandbox data…");
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
      try {
        const response = await fetch(`${server.base.replace(/\/+$/, "")}/_sandbox/reset`, {
          method: "POST", headers: { [this.data.sessionHeader]: readerSession }, credentials: "omit", cache: "no-store",
          signal: controller.signal,
        });
        let detail = "";
        try {
          detail = (await response.json()).detail || "";
        } catch (error) {
          /* not JSON: the status says enough */
        }
        if (response.ok) this.say("2xx", "Your sandbox data is back to the fixtures.", `Session ${readerSession}: ${detail}`);
        else this.say("error", `Reset failed: ${response.status} ${response.statusText || REASONS[response.status] || ""}`.trim(), detail);
      } catch (error) {
        this.say("error", `Could not reach the sandbox at ${server.base} to reset your data.`, error.message);
      } finally {
        clearTimeout(timer);
        this.busy = false;
      }
    }

    missing() {
      for (const input of this.root.querySelectorAll("[data-required]")) {
        const empty = !input.value.trim();
        input.setAttribute("aria-invalid", empty ? "true" : "false");
        if (empty) return input;
      }
      return null;
    }

    say(state, headline, detail = "") {
      this.status.textContent = headline;
      this.status.dataset.state = state;
      this.detail.textContent = detail;
      this.detail.hidden = !detail;
      if (state !== "busy") this.reveal();
    }

    // The request column scrolls on its own (wide screens): bring the outcome into view in it,
    // never moving the window (the reader's place in the prose stays).
    reveal() {
      const column = this.root.closest(".apidocs-aside");
      if (!column || column.scrollHeight <= column.clientHeight + 1 || getComputedStyle(column).overflowY === "visible") return;
      const box = this.status.getBoundingClientRect();
      const frame = column.getBoundingClientRect();
      if (box.bottom > frame.bottom) column.scrollTop += box.bottom - frame.bottom + 16;
      else if (box.top < frame.top) column.scrollTop -= frame.top - box.top + 16;
    }

    clearResponse() {
      this.root.querySelector(".apidocs-explorer-response").hidden = true;
    }

    async send() {
      if (this.busy) return;
      this.refresh();
      const empty = this.missing();
      if (empty) {
        this.clearResponse();
        this.say("error", `Not sent: ${empty.dataset.label} is required.`, "Fill it in and send again.");
        empty.focus();
        return;
      }
      if (this.bodyProblem) {
        this.clearResponse();
        this.say("error", this.bodyRefusal, "Fix it (the problem is shown under Body) and send again.");
        this.body.focus();
        return;
      }
      const server = this.selectedServer();
      if (!server) {
        this.say("error", "Not sent: no server is configured.", "Add servers under the apidocs plugin in mkdocs.yml.");
        return;
      }
      const values = this.values(this.input());
      const headers = new Headers();
      for (const [name, value] of values.headers) {
        try {
          headers.append(name, value);
        } catch (error) {
          this.say("error", `Not sent: the browser cannot send the ${name} header.`, "Header values must be one line of Latin-1 text.");
          return;
        }
      }
      const url = server.proxied ? location.origin + this.data.proxy + values.target : values.url;
      if (server.proxied) headers.set("X-Apidocs-Server", server.base);
      // `ours`: the serve's sandbox or the site's public one (not a real API, which would not know it).
      if (server.ours && this.data.route) headers.set(this.data.route.header, this.data.route.value);
      const init = { method: this.data.method, headers, credentials: "omit", cache: "no-store", redirect: "follow" };
      if (this.data.body !== null && !["GET", "HEAD"].includes(this.data.method)) {
        // A form goes as its fields (the Content-Type among the headers says so), as the snippets
        // send it; a body sent as it is, as the UTF-8 bytes of its text or as a file's.
        if (this.data.multipart) init.body = this.formData(values.body);
        else if (this.bodyFile) init.body = this.bodyFileToSend();
        else if (this.data.raw) init.body = new TextEncoder().encode(values.body);
        else init.body = this.data.form ? Q.FILTERS.form_text(values.body, this.formLists) : Q.jsonText(values.body);
      }
      const controller = new AbortController();
      init.signal = controller.signal;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, TIMEOUT_MS);
      this.busy = true;
      this.root.setAttribute("aria-busy", "true");
      this.say("busy", "Sending…");
      const started = performance.now();
      try {
        const response = await fetch(url, init);
        const buffer = await response.arrayBuffer();
        this.showResponse(response, buffer, performance.now() - started, server);
      } catch (error) {
        this.clearResponse();
        await this.explainFailure(error, timedOut, server, values);
      } finally {
        clearTimeout(timer);
        this.busy = false;
        this.root.removeAttribute("aria-busy");
      }
    }

    async explainFailure(error, timedOut, server, values) {
      const origin = new URL(values.url).origin;
      if (timedOut) {
        this.say("error", `No answer: ${origin} did not respond within ${TIMEOUT_MS / 1000} s (timed out).`,
          "The server may be down or slow; try again, or pick another server.");
        return;
      }
      if (server.proxied) {
        this.say("error", "No answer from the docs server's proxy.", "Is `apidocs serve --proxy` still running?");
        return;
      }
      if (location.protocol === "https:" && origin.startsWith("http:")) {
        this.say("error", `Blocked: this https page cannot call ${origin} (mixed content).`,
          "Use an https server, or open the docs with `apidocs serve` locally.");
        return;
      }
      if (await this.reachable(origin)) {
        const fix = server.sandbox
          // A deployed sandbox answers only the site it was started for (writers/publishing.md).
          ? `Fix: start that sandbox with \`--cors-origin ${location.origin}\` (it allows only the origins it is given).`
          : "Fix: run `apidocs serve --proxy` so the explorer sends through the docs server, use the sandbox, " +
            `or allow the origin ${location.origin} in the API's CORS settings.`;
        this.say("error", `Blocked by CORS: ${origin} answered, but does not allow requests from ${location.origin}.`, fix);
        return;
      }
      const causes = navigator.onLine === false
        ? "This browser is offline: connect and send again."
        : `Likely causes: the server is down or not at this address (pick another server above${
          this.data.sandbox || this.data.publicSandbox ? ", e.g. the sandbox" : ""}); a VPN, firewall or certificate ` +
          "problem on the way; or the server refuses calls from web pages (CORS).";
      this.say("error", `Could not reach ${origin}: the request never got an answer.`, `${causes} (${error.message})`);
    }

    // A no-cors request succeeds whenever the server answers at all, CORS or not.
    async reachable(origin) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 5000);
      try {
        await fetch(`${origin}/`, { mode: "no-cors", credentials: "omit", cache: "no-store", signal: controller.signal });
        return true;
      } catch (error) {
        return false;
      } finally {
        clearTimeout(timer);
      }
    }

    showResponse(response, buffer, elapsed, server) {
      const refusal = server.proxied ? response.headers.get("X-Apidocs-Proxy") : null;
      const text = new TextDecoder("utf-8").decode(buffer);
      if (refusal) {
        let detail = text;
        try {
          detail = JSON.parse(text).detail || text;
        } catch (error) {
          /* plain text message */
        }
        const headline = {
          refused: "Refused by the proxy.",
          "timed out": `No answer: ${server.base} did not respond in time (timed out, through the proxy).`,
          unreachable: `Could not reach ${server.base} (through the proxy): the request never got an answer.`,
          off: "The proxy is off.",
        }[refusal] || `The proxy failed (${refusal}).`;
        this.clearResponse();
        this.say("error", headline, detail);
        return;
      }
      const reason = response.statusText || REASONS[response.status] || "";
      const range = `${String(response.status)[0]}xx`;
      this.say(range, `${response.status} ${reason}`.trim());
      const panel = this.root.querySelector(".apidocs-explorer-response");
      panel.hidden = false;
      const via = server.proxied ? " · via the apidocs proxy" : "";
      panel.querySelector(".apidocs-explorer-meta").textContent =
        `${Math.round(elapsed)} ms · ${size(buffer.byteLength)}${via}`;
      const lines = [];
      response.headers.forEach((value, name) => lines.push(`${name}: ${value}`));
      panel.querySelector(".apidocs-explorer-headers code").textContent = lines.join("\n");
      let shown = text;
      const type = response.headers.get("content-type") || "";
      if (buffer.byteLength <= PRETTY_LIMIT && (/json/i.test(type) || /^\s*[[{]/.test(text))) {
        try {
          shown = Q.jsonText(Q.parseJson(text), 2, true);
        } catch (error) {
          shown = text;
        }
      }
      const code = panel.querySelector(".apidocs-explorer-body code");
      const all = this.root.querySelector("[data-action=show-all]");
      this.fullBody = shown;
      if (!shown) {
        code.textContent = "(empty body)";
        all.hidden = true;
      } else if (shown.length > SHOW_LIMIT) {
        code.textContent = shown.slice(0, SHOW_LIMIT);
        all.textContent = `Show all (${size(buffer.byteLength)})`;
        all.hidden = false;
      } else {
        code.textContent = "";
        code.append(shown !== text || /json/i.test(type) ? highlightJson(shown) : shown);
        all.hidden = true;
      }
    }
  }

  // JSON coloured with the classes Pygments gives the documented examples, so Material's
  // palette colours both alike. Larger bodies stay plain text (the spans would cost more).
  const JSON_TOKEN = /("(?:[^"\\\n]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b|([{}[\],:])/g;
  function highlightJson(text) {
    const out = document.createDocumentFragment();
    if (text.length > 100 * 1024) {
      out.append(text);
      return out;
    }
    let last = 0;
    for (const match of text.matchAll(JSON_TOKEN)) {
      if (match.index > last) out.append(text.slice(last, match.index));
      const span = (kind, value) => {
        const element = document.createElement("span");
        element.className = kind;
        element.textContent = value;
        out.append(element);
      };
      if (match[1] !== undefined) {
        span(match[2] ? "nt" : "s2", match[1]);
        if (match[2]) span("p", match[2]);
      } else if (match[3] !== undefined) span(/[.eE]/.test(match[3]) ? "mf" : "mi", match[3]);
      else if (match[4] !== undefined) span("kc", match[4]);
      else span("p", match[5]);
      last = match.index + match[0].length;
    }
    if (last < text.length) out.append(text.slice(last));
    return out;
  }

  // A link to a response (`#response-404`) or one of its fields selects the status tab holding it.
  function openTarget() {
    let target = null;
    try {
      target = location.hash.length > 1 ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    } catch (error) {
      return;
    }
    const block = target && target.closest(".apidocs-tab-panel");
    if (!block) return;
    const set = block.closest(".apidocs-tabs");
    const index = [...set.querySelectorAll(":scope > .apidocs-tab-panels > .apidocs-tab-panel")].indexOf(block);
    const input = set.querySelectorAll(":scope > .apidocs-tab-inputs > input")[index];
    if (input && !input.checked) input.checked = true;
    for (let node = target.parentElement; node && node !== block; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    target.scrollIntoView({ block: "start" });
  }

  function size(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function start() {
    const begun = performance.now();
    let started = false;
    for (const root of document.querySelectorAll("[data-apidocs-explorer]:not([data-ready])")) {
      try {
        new Explorer(root);
        started = true;
      } catch (error) {
        console.error("apidocs explorer:", error);
      }
    }
    requestAnimationFrame(openTarget); // after instant navigation has set the new URL
    // For bench/explorer.py: when the panel became usable, on the page's own clock.
    if (started && performance.mark) {
      performance.mark("apidocs-explorer-ready");
      performance.measure("apidocs-explorer-init", { start: begun });
    }
  }

  // Material replaces the page content on instant navigation and announces it on document$.
  window.addEventListener("hashchange", openTarget);
  if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(start);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
