// The case page. No script from anywhere else: Telegram's init data and theme are read from the URL
// (Telegram puts them in the hash), the few client events it needs are posted as Telegram's own
// script would. The server validates every value; this page only shows what it says.
(function () {
  "use strict";

  var hash = new URLSearchParams(location.hash.slice(1));
  var query = new URLSearchParams(location.search);
  var initData = hash.get("tgWebAppData") || query.get("tgWebAppData") || "";
  var caseId = query.get("case") || "";
  var page = null; // the case as the server last sent it
  var changes = {}; // key -> typed value, not saved yet
  var errors = {}; // key -> the server's refusal
  var fields = {}; // key -> {box, input, msg, field}
  var W = {}; // the page's words, in the merchant's language

  // --- Telegram ---------------------------------------------------------------------------------
  function post(type, data) {
    var body = JSON.stringify({ eventType: type, eventData: data || "" });
    try {
      if (window.TelegramWebviewProxy && window.TelegramWebviewProxy.postEvent) {
        window.TelegramWebviewProxy.postEvent(type, JSON.stringify(data || {}));
      } else if (window.external && "notify" in window.external) {
        window.external.notify(body);
      } else if (window.parent !== window) {
        window.parent.postMessage(body, "*");
      }
    } catch (e) { /* outside Telegram: nothing to tell */ }
  }
  var THEME = {
    bg_color: "--tg-bg", text_color: "--tg-text", hint_color: "--tg-hint", link_color: "--tg-link",
    button_color: "--tg-button", button_text_color: "--tg-button-text",
    secondary_bg_color: "--tg-secondary-bg", section_bg_color: "--tg-section-bg",
    section_header_text_color: "--tg-section-header", destructive_text_color: "--tg-destructive"
  };
  function applyTheme(params) {
    if (!params || typeof params !== "object") return;
    Object.keys(THEME).forEach(function (name) {
      var value = params[name];
      if (typeof value === "string" && /^#[0-9a-fA-F]{3,8}$/.test(value)) {
        document.documentElement.style.setProperty(THEME[name], value);
      }
    });
    if (params.bg_color && !params.section_bg_color) {
      document.documentElement.style.setProperty("--tg-section-bg", params.bg_color);
    }
  }
  function received(type, data) {
    if (type === "theme_changed" && data) applyTheme(data.theme_params);
  }
  try { applyTheme(JSON.parse(hash.get("tgWebAppThemeParams") || "{}")); } catch (e) { /* no theme */ }
  window.Telegram = window.Telegram || {};
  window.Telegram.WebView = window.Telegram.WebView || {};
  window.Telegram.WebView.receiveEvent = received; // mobile clients deliver events here
  window.addEventListener("message", function (event) {
    try { var m = JSON.parse(event.data); received(m.eventType, m.eventData); } catch (e) { /* not ours */ }
  });

  // --- helpers ----------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function call(method, path, body) {
    var options = { method: method, headers: { Authorization: "tma " + initData } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 401) { expired(); throw new Error("unauthorized"); }
      return response;
    });
  }
  function withCase(path) { return caseId ? path + (path.indexOf("?") < 0 ? "?" : "&") + "case=" + encodeURIComponent(caseId) : path; }
  function expired() {
    if (page) { status(W.expired, true); return; } // what was typed stays on the page, and is kept (below)
    $("main").hidden = true; $("bar").hidden = true; $("expired").hidden = false;
  }

  // Unsaved changes are kept in the browser until saved, so a closed page or expired init data loses nothing.
  function storeKey() {
    var user = {};
    try { user = JSON.parse(new URLSearchParams(initData).get("user") || "{}"); } catch (e) { /* no user */ }
    return "casepage:" + (user.id || "") + ":" + (page && page.case_id);
  }
  function keep() {
    try {
      if (Object.keys(changes).length) localStorage.setItem(storeKey(), JSON.stringify(changes));
      else localStorage.removeItem(storeKey());
    } catch (e) { /* storage unavailable: nothing to keep */ }
  }
  function restore() {
    var kept = {};
    try { kept = JSON.parse(localStorage.getItem(storeKey()) || "{}"); } catch (e) { /* nothing kept */ }
    Object.keys(kept).forEach(function (key) {
      var entry = fields[key];
      if (!entry || entry.input.disabled || typeof kept[key] !== "string") return;
      entry.input.value = kept[key];
      edited(key);
    });
  }

  // Telegram HTML (b, i, u, s, code, pre, blockquote) of a letter preview, everything else as text
  var ALLOWED = { B: 1, STRONG: 1, I: 1, EM: 1, U: 1, S: 1, CODE: 1, PRE: 1, BLOCKQUOTE: 1 };
  function safe(source, into) {
    Array.prototype.forEach.call(source.childNodes, function (node) {
      if (node.nodeType === 3) into.appendChild(document.createTextNode(node.nodeValue));
      else if (node.nodeType === 1) {
        var target = ALLOWED[node.tagName] ? into.appendChild(document.createElement(node.tagName)) : into;
        safe(node, target);
      }
    });
  }

  // --- the case ---------------------------------------------------------------------------------
  function render() {
    W = page.words;
    document.documentElement.lang = page.lang === "en" ? "en" : "zh";
    fields = {};
    var title = $("title");
    title.textContent = page.case_id || "";
    var banner = $("banner");
    banner.hidden = page.editable;
    if (!page.editable) {
      banner.textContent = (page.active ? W.closed : W.readonly).replace("{case_id}", page.case_id);
    }
    var main = $("main");
    main.textContent = "";
    main.removeAttribute("aria-busy");
    page.groups.forEach(function (group) {
      var section = el("section", { id: "group-" + group.id }, [el("h2", { text: group.title })]);
      if (group.repeat) {
        if (!group.items.length) section.appendChild(el("p", { class: "msg", text: W.empty }));
        group.items.forEach(function (item) {
          section.appendChild(el("h3", { text: item.title }));
          if (item.file) section.appendChild(thumb(item.file));
          item.fields.forEach(function (f) { section.appendChild(fieldBox(f)); });
        });
      } else {
        group.fields.forEach(function (f) { section.appendChild(fieldBox(f)); });
      }
      main.appendChild(section);
    });
    main.appendChild(documents());
    $("bar").hidden = !page.editable;
    $("save").textContent = W.save;
    update();
  }

  function fieldBox(f) {
    var input, list = null;
    var disabled = !page.editable || !f.editable;
    if (f.input === "choice" || f.input === "yesno") {
      input = el("select", {});
      if (f.optional || !f.text) input.appendChild(el("option", { value: "", text: f.optional ? "—" : "" }));
      f.options.forEach(function (o) { input.appendChild(el("option", { value: o[0], text: o[1] })); });
      input.value = f.input === "yesno" ? f.text : (f.text || "");
    } else if (f.input === "long") {
      input = el("textarea", { rows: "3" });
      input.value = f.text;
    } else {
      input = el("input", { type: f.input === "date" ? "date" : "text", autocomplete: "off" });
      if (f.input === "suggest") {
        list = el("datalist", { id: "list-" + f.key });
        f.options.forEach(function (o) { list.appendChild(el("option", { value: o[1] })); });
        input.setAttribute("list", list.id);
      }
      input.value = f.input === "suggest" ? (f.shown || f.text) : f.text;
      if (f.field.slice(-6) === ".phone" || f.field.slice(-7) === ".amount") input.setAttribute("inputmode", f.field.slice(-6) === ".phone" ? "tel" : "decimal");
    }
    input.disabled = disabled;
    input.name = f.key;
    input.id = "f-" + f.key;
    var shown = f.shown && f.shown !== input.value && f.input !== "choice" && f.input !== "yesno" ? f.shown : "";
    var msg = el("small", { class: "msg", text: shown });
    var box = el("label", { class: "field", "data-key": f.key, for: input.id }, [el("span", { text: f.label }), input, msg, list]);
    fields[f.key] = { box: box, input: input, msg: msg, field: f };
    input.addEventListener("change", function () { edited(f.key); });
    return box;
  }

  function thumb(file) {
    var box = el("div", { class: "thumb" });
    var holder = el("div", { class: "file", text: (file.mime || "").split("/").pop().toUpperCase() });
    box.appendChild(holder);
    box.appendChild(el("p", { text: file.file_name || "" }));
    if (file.sha256 && /^image\//.test(file.mime || "")) {
      call("GET", withCase("api/evidence?sha=" + file.sha256)).then(function (r) {
        return r.ok ? r.blob() : null;
      }).then(function (blob) {
        if (!blob) return;
        var img = el("img", { alt: file.file_name || "", src: URL.createObjectURL(blob) });
        box.replaceChild(img, holder);
      }).catch(function () { /* the name stays */ });
    }
    return box;
  }

  function documents() {
    var section = el("section", { id: "documents" }, [el("h2", { text: W.documents })]);
    page.outputs.filter(function (o) { return o.applies; }).forEach(function (o) {
      var box = el("div", { class: "doc", "data-output": o.id });
      var button = el("button", { class: "link", type: "button", text: W.preview });
      var shown = null;
      button.addEventListener("click", function () {
        if (shown) { box.removeChild(shown); shown = null; button.textContent = W.preview; return; }
        call("GET", withCase("api/preview?output=" + encodeURIComponent(o.id))).then(function (r) {
          return r.ok ? r.json() : null;
        }).then(function (data) {
          if (!data) return;
          shown = el("div", { class: "preview" });
          data.html.forEach(function (chunk) {
            var parsed = new DOMParser().parseFromString("<body>" + chunk + "</body>", "text/html");
            var p = el("p");
            safe(parsed.body, p);
            shown.appendChild(p);
          });
          box.appendChild(shown);
          button.textContent = W.hide;
        }).catch(function () { status(W.failed, true); });
      });
      box.appendChild(el("div", { class: "row" }, [el("strong", { text: o.title }), button]));
      box.appendChild(el("small", { text: o.reason }));
      section.appendChild(box);
    });
    var not = page.outputs.filter(function (o) { return !o.applies; });
    if (not.length) {
      section.appendChild(el("h3", { text: W.not_offered }));
      not.forEach(function (o) {
        section.appendChild(el("div", { class: "doc", "data-output": o.id }, [el("strong", { text: o.title }), el("small", { text: o.reason })]));
      });
    }
    section.appendChild(el("p", { class: "msg", text: W.draft_note }));
    return section;
  }

  // --- editing ----------------------------------------------------------------------------------
  function edited(key) {
    var entry = fields[key];
    var value = entry.input.value;
    var original = entry.field.input === "suggest" ? (entry.field.shown || entry.field.text) : entry.field.text;
    if (value === original) {
      delete changes[key]; delete errors[key];
      keep();
      mark(key, null, entry.field.shown !== value ? entry.field.shown : "");
      update();
      return;
    }
    changes[key] = value;
    keep();
    update();
    call("POST", "api/check", { case: caseId || page.case_id, key: key, value: value }).then(function (r) {
      return r.json();
    }).then(function (data) {
      if (changes[key] !== value) return; // typed again meanwhile
      if (data.ok) { delete errors[key]; mark(key, null, [data.shown !== value ? data.shown : "", data.notice || ""].filter(Boolean).join("\n")); }
      else { errors[key] = data.error; mark(key, data.error, ""); }
      update();
    }).catch(function (e) { if (String(e.message) !== "unauthorized") status(W.failed, true); });
  }

  function mark(key, error, note) {
    var entry = fields[key];
    if (!entry) return;
    entry.box.classList.toggle("bad", !!error);
    entry.box.classList.toggle("changed", key in changes && !error);
    entry.msg.textContent = error || note || "";
  }

  function status(text, bad) {
    var node = $("status");
    node.textContent = text || "";
    node.classList.toggle("bad", !!bad);
  }

  function update() {
    var count = Object.keys(changes).length;
    $("save").disabled = !count || Object.keys(errors).length > 0;
    if (count) status(W.unsaved.replace("{count}", count), Object.keys(errors).length > 0);
  }

  function save() {
    var list = Object.keys(changes).map(function (key) { return [key, changes[key]]; });
    if (!list.length) return;
    $("save").disabled = true;
    status(W.saving);
    call("POST", "api/save", { case: caseId || page.case_id, changes: list }).then(function (r) {
      return r.json().then(function (data) { return { status: r.status, data: data }; });
    }).then(function (answer) {
      if (answer.data.ok) {
        changes = {}; errors = {};
        keep();
        page = answer.data.case;
        render();
        var notices = answer.data.notices || {};
        Object.keys(notices).forEach(function (key) { mark(key, null, notices[key]); });
        status(W.saved);
        try { window.navigator.vibrate && window.navigator.vibrate(10); } catch (e) { /* no vibration */ }
        post("web_app_trigger_haptic_feedback", { type: "notification", notification_type: "success" });
      } else {
        errors = answer.data.errors || {};
        Object.keys(errors).forEach(function (key) { mark(key, errors[key], ""); });
        status(errors[""] || W.fix, true);
        update();
      }
    }).catch(function (e) {
      if (String(e.message) !== "unauthorized") status(W.failed, true);
      $("save").disabled = false;
    });
  }

  $("save").addEventListener("click", save);
  post("web_app_ready");
  post("web_app_expand");
  if (!initData) { expired(); return; }
  call("GET", withCase("api/case")).then(function (r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.json();
  }).then(function (data) { page = data; render(); restore(); }).catch(function (e) {
    if (String(e.message) !== "unauthorized") expired();
  });
})();
