/* Courtyard sandbox page.
 *
 * Three panes: a person's private chat with the bot, the community's admin
 * forum as a staff member sees it, and a gate terminal. Everything in the two
 * chat panes comes from the Bot API emulator (/_emulator: histories, user
 * actions, and the live event stream); the gate pane talks to the real gate
 * terminal API through the sandbox server (/sandbox/api/gates/...). The page
 * keeps no logic of the product itself: it only shows what the bot sent and
 * does what a person would do.
 */
"use strict";

(() => {
  const GENERAL = 1;
  const STORAGE = "courtyard.sandbox.";

  // ------------------------------------------------------------------ helpers

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  /** Build an element: el("div", {class: "x", text: "y", onclick: fn}, child...). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const store = {
    get(key, fallback = null) {
      try { return JSON.parse(localStorage.getItem(STORAGE + key)) ?? fallback; } catch { return fallback; }
    },
    set(key, value) {
      try { localStorage.setItem(STORAGE + key, JSON.stringify(value)); } catch { /* private mode */ }
    },
  };

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  /** Replace a node's children, skipping null/false like el() does. */
  function fill(node, ...children) {
    node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  }

  // Line icons (24×24, stroked): the page's own chrome never depends on emoji fonts.
  const ICONS = {
    attach: "M21.4 11.6l-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5",
    send: "M22 2L11 13M22 2l-7 20-4-9-9-4z",
    keyboard: "M4 6h16a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2zM6 10h.01M10 10h.01M14 10h.01M18 10h.01M8 14h8",
    reply: "M9 14L4 9l5-5M4 9h10a6 6 0 0 1 6 6v4",
    forward: "M13 19l9-7-9-7zM2 19l9-7-9-7z",
    close: "M18 6L6 18M6 6l12 12",
    commands: "M4 4h16v16H4zM14 7l-4 10",
    walk: "M13 4.5a1.5 1.5 0 1 0 0 .01M9.5 21l2.5-7 3 3v4M8 12l2.5-4h3l2.5 3.5 2 1M11 8l-1.5 5",
    car: "M5 16h14v-4l-2-5H7l-2 5zM5 12h14M7.5 19.5a1.5 1.5 0 1 0 0-.01M16.5 19.5a1.5 1.5 0 1 0 0-.01",
    pin: "M12 22s7-6.3 7-12a7 7 0 0 0-14 0c0 5.7 7 12 7 12zM12 12.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5z",
    link: "M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5",
    qr: "M4 4h6v6H4zM14 4h6v6h-6zM4 14h6v6H4zM14 14h2v2h-2zM18 18h2v2h-2zM14 18h2M18 14h2",
  };

  function icon(name) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.classList.add("icon");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", ICONS[name] || "");
    svg.append(path);
    return svg;
  }

  for (const slot of $$("i[data-icon]")) slot.replaceWith(icon(slot.dataset.icon));

  // ------------------------------------------------------------- translations

  const I18N = { locale: "zh_Hans", strings: {} };

  /** The page's own strings, translated by the server's "sandbox" gettext domain. */
  function t(key, vars) {
    let text = I18N.strings[key];
    if (text === undefined) text = key;
    if (vars) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
    return text;
  }

  function applyStatic() {
    document.documentElement.lang = I18N.locale === "en" ? "en" : "zh-Hans";
    for (const node of $$("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of $$("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
    for (const node of $$("[data-i18n-title]")) node.title = t(node.dataset.i18nTitle);
    for (const button of $$(".lang-switch button")) {
      button.classList.toggle("active", button.dataset.lang === I18N.locale);
    }
    document.title = `${t("brand.title")} · Courtyard`;
  }

  async function setLocale(locale, { remember = false } = {}) {
    if (remember) {  // kept at once: a reload before the strings arrive keeps the choice
      store.set("locale", locale);
      store.set("locale_chosen", true);
    }
    const data = await api("GET", `/sandbox/api/i18n/${locale}`);
    I18N.locale = data.locale;
    I18N.strings = data.strings;
    applyStatic();
    if (S.config) rerenderAll();
  }

  // ---------------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(code, status) { super(code); this.code = code; this.status = status; }
  }

  async function api(method, url, body, { form = false } = {}) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      if (form) options.body = body;
      else { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
    }
    let response;
    try { response = await fetch(url, options); } catch { throw new ApiError("offline", 0); }
    let data = null;
    try { data = await response.json(); } catch { /* not JSON */ }
    if (!response.ok || !data || data.ok === false) {
      throw new ApiError((data && (data.error || data.description)) || `http_${response.status}`, response.status);
    }
    return data.result;
  }

  const emu = {
    history: (chatId) => api("GET", `/_emulator/chats/${chatId}/messages?limit=2000`),
    chat: (chatId) => api("GET", `/_emulator/chats/${chatId}`),
    commands: (chatId, userId) => api("GET", `/_emulator/chats/${chatId}/commands?user_id=${userId}`),
    send: (chatId, body) => api("POST", `/_emulator/chats/${chatId}/messages`, body),
    press: (chatId, body) => api("POST", `/_emulator/chats/${chatId}/press`, body),
    key: (chatId, body) => api("POST", `/_emulator/chats/${chatId}/key`, body),
    pay: (chatId, body) => api("POST", `/_emulator/chats/${chatId}/pay`, body),
    contact: (chatId, body) => api("POST", `/_emulator/chats/${chatId}/contact`, body),
    location: (chatId, body) => api("POST", `/_emulator/chats/${chatId}/location`, body),
    upload: (chatId, kind, form) => api("POST", `/_emulator/chats/${chatId}/${kind}`, form, { form: true }),
    file: (fileId) => `/_emulator/files/${encodeURIComponent(fileId)}`,
  };

  /** A human sentence for an error code from the emulator or the sandbox server. */
  function errorText(error) {
    const code = error instanceof ApiError ? error.code : String(error);
    const key = `error.${code}`;
    return I18N.strings[key] ? t(key) : t("error.generic", { detail: code });
  }

  // ------------------------------------------------------------------- state

  const S = {
    config: null,
    people: [],
    personId: null, // whose private chat the first pane shows
    staffId: null, // who acts in the admin group
    topic: GENERAL,
    gateId: null,
    chats: new Map(), // chat id -> Map(message id -> message)
    loaded: new Set(),
    unread: new Map(), // private chat id -> count
    topicUnread: new Map(), // thread id -> count
    topics: new Map(), // thread id -> {name, icon_color, closed}
    keyboards: new Map(), // private chat id -> reply keyboard markup
    keyboardHidden: false,
    reply: { chat: null, group: null },
    invitations: [],
    clockFetchedAt: 0,
  };

  const person = (id) => S.people.find((p) => p.id === id) || null;
  const groupId = () => S.config.group.id;
  const botId = () => S.config.bot.id;
  const messagesOf = (chatId) => {
    if (!S.chats.has(chatId)) S.chats.set(chatId, new Map());
    return S.chats.get(chatId);
  };

  // --------------------------------------------------------------- formatting

  const PALETTE = ["#e17076", "#7bc862", "#e5ca77", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
  const colorFor = (id) => PALETTE[Math.abs(Number(id)) % PALETTE.length];

  function initials(name) {
    const clean = (name || "?").trim();
    if (!clean) return "?";
    if (/^[\x00-\x7F]/.test(clean)) {
      const parts = clean.split(/\s+/).filter(Boolean);
      return (parts[0][0] + (parts[1] ? parts[1][0] : "")).toUpperCase();
    }
    return clean.slice(0, 1);
  }

  function avatar(name, id, small = false) {
    return el("div", { class: `avatar${small ? " small" : ""}`, style: `background:${colorFor(id)}` }, initials(name));
  }

  const intlLocale = () => (I18N.locale === "en" ? "en-GB" : "zh-CN");
  const tz = () => (S.config ? S.config.community.timezone : undefined);

  function fmtTime(date) {
    return new Intl.DateTimeFormat(intlLocale(), { hour: "2-digit", minute: "2-digit", timeZone: tz() }).format(date);
  }
  function fmtClock(date) {
    return new Intl.DateTimeFormat(intlLocale(), {
      month: "short", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: tz(),
    }).format(date);
  }
  function fmtLogTime(date) {
    return new Intl.DateTimeFormat(intlLocale(), {
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: tz(),
    }).format(date);
  }
  function fmtMoney(minor, currency) {
    try {
      const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
      return new Intl.NumberFormat(intlLocale(), { style: "currency", currency, currencyDisplay: "symbol" })
        .format(minor / 10 ** digits);
    } catch {
      return `${minor} ${currency}`;
    }
  }
  function fmtSize(bytes) {
    if (!bytes && bytes !== 0) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }
  function fmtSpan(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const parts = [];
    if (d) parts.push(t("unit.days", { n: d }));
    if (h) parts.push(t("unit.hours", { n: h }));
    if (m && !d) parts.push(t("unit.minutes", { n: m }));
    return parts.join(" ") || t("unit.minutes", { n: 0 });
  }
  const nameOf = (user) => (user ? [user.first_name, user.last_name].filter(Boolean).join(" ") : "");
  const snippet = (msg) => {
    if (!msg) return "";
    const text = msg.text || msg.caption;
    if (text) return text.replace(/\s+/g, " ").slice(0, 90);
    if (msg.photo) return t("snippet.photo");
    if (msg.document) return `📄 ${msg.document.file_name || t("snippet.file")}`;
    if (msg.location) return t("snippet.location");
    if (msg.contact) return t("snippet.contact");
    if (msg.invoice) return `🧾 ${msg.invoice.title}`;
    return t("snippet.message");
  };

  // ------------------------------------------------------ people & sub-lines

  function roleLabel(role) { return t(`role.${role}`); }

  function personSub(p) {
    if (p.kind === "staff") return roleLabel(p.staff_role);
    if (p.units && p.units.length) return p.units.map((u) => `${u.label} · ${roleLabel(u.role)}`).join(", ");
    if (p.pending_units && p.pending_units.length) return t("people.pending", { units: p.pending_units.join(", ") });
    return p.kind === "visitor" ? t("people.visitor") : t("people.new");
  }

  async function refreshPeople() {
    S.people = await api("GET", "/sandbox/api/people");
    renderPersonPicker();
    renderStaffPicker();
  }
  const refreshPeopleSoon = debounce(() => refreshPeople().catch(() => {}), 700);

  // ------------------------------------------------------------------ pickers

  function setupPicker(root, render) {
    const button = $(".picker-button", root);
    const menu = $(".picker-menu", root);
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      const open = menu.hidden;
      closeMenus();
      if (open) { render(menu); menu.hidden = false; }
    });
    return { button, menu };
  }

  function closeMenus() {
    for (const menu of $$(".picker-menu, .menu")) menu.hidden = true;
  }
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".picker-menu, .menu")) closeMenus();
  });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeMenus(); });

  function optionNode(p, { selected, badge, onPick }) {
    return el(
      "button",
      { type: "button", class: `picker-option${selected ? " selected" : ""}`, role: "option", onclick: onPick, dataset: { person: p.id } },
      avatar(p.name, p.id, true),
      el("div", { class: "who" }, el("div", { class: "who-name", text: p.name }), el("div", { class: "who-sub", text: personSub(p) })),
      el("span", { class: "lang-badge", text: p.language === "en" ? "EN" : "中" }),
      badge ? el("span", { class: "badge", text: badge }) : null,
    );
  }

  const personPicker = setupPicker($("#person-picker"), (menu) => {
    menu.replaceChildren();
    const groups = [
      ["resident", t("people.group.residents")],
      ["visitor", t("people.group.visitors")],
      ["new", t("people.group.new")],
      ["staff", t("people.group.staff")],
    ];
    for (const [kind, title] of groups) {
      const members = S.people.filter((p) => p.kind === kind);
      if (!members.length) continue;
      menu.append(el("div", { class: "picker-group", text: title }));
      for (const p of members) {
        menu.append(optionNode(p, {
          selected: p.id === S.personId,
          badge: S.unread.get(p.id) || 0,
          onPick: () => { closeMenus(); selectPerson(p.id); },
        }));
      }
    }
    menu.append(el("button", {
      type: "button", class: "picker-option new-person",
      onclick: async () => { closeMenus(); const p = await askNewPerson(); if (p) selectPerson(p.id); },
    }, el("div", { class: "avatar small", style: "background:#0f9b7a" }, "+"), el("div", { class: "who" }, t("people.add"))));
  });

  function renderPersonPicker() {
    const p = person(S.personId);
    const totalUnread = [...S.unread.entries()].filter(([id]) => id !== S.personId).reduce((a, [, n]) => a + n, 0);
    fill(personPicker.button,
      p ? avatar(p.name, p.id, true) : el("span"),
      el("div", { class: "who" },
        el("div", { class: "who-name", text: p ? p.name : "…" }),
        el("div", { class: "who-sub", text: p ? personSub(p) : "" })),
      totalUnread ? el("span", { class: "badge", text: totalUnread }) : null,
      el("span", { class: "caret", text: "▾" }),
    );
    personPicker.button.setAttribute("aria-label", t("chat.switch_person"));
  }

  const staffPicker = setupPicker($("#staff-picker"), (menu) => {
    menu.replaceChildren(el("div", { class: "picker-group", text: t("group.acting_as") }));
    for (const p of S.people.filter((x) => x.kind === "staff")) {
      menu.append(optionNode(p, {
        selected: p.id === S.staffId,
        onPick: () => { closeMenus(); selectStaff(p.id); },
      }));
    }
  });

  function renderStaffPicker() {
    const p = person(S.staffId);
    fill(staffPicker.button,
      p ? avatar(p.name, p.id, true) : el("span"),
      el("div", { class: "who" },
        el("div", { class: "who-name", text: p ? p.name : "…" }),
        el("div", { class: "who-sub", text: p ? roleLabel(p.staff_role) : "" })),
      el("span", { class: "caret", text: "▾" }),
    );
  }

  // ------------------------------------------------------- rich text (entities)

  /** Render Telegram text + entities (UTF-16 offsets, like JS strings) as DOM. */
  function richText(text, entities) {
    const root = document.createDocumentFragment();
    const list = withAutoEntities(text, entities || []).sort((a, b) => a.offset - b.offset || b.length - a.length);
    const build = (parent, start, end, items) => {
      let pos = start;
      let i = 0;
      while (i < items.length) {
        const entity = items[i];
        const from = Math.max(entity.offset, pos);
        const to = Math.min(entity.offset + entity.length, end);
        if (from > pos) parent.append(text.slice(pos, from));
        const inner = [];
        let j = i + 1;
        while (j < items.length && items[j].offset < to) { inner.push(items[j]); j += 1; }
        if (to > from) {
          const node = entityNode(entity, text.slice(from, to));
          build(node.inner || node, from, to, inner);
          parent.append(node.outer || node);
        }
        pos = Math.max(pos, to);
        i = j;
      }
      if (pos < end) parent.append(text.slice(pos, end));
    };
    build(root, 0, text.length, list);
    return root;
  }

  // Telegram's apps make links and /commands in any text tappable, entity or not.
  const AUTO = [
    ["url", /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]}»。，；：！？）]/g],
    ["bot_command", /(?<![\w\/])\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?/g],
  ];

  function withAutoEntities(text, entities) {
    const list = entities.slice();
    const covered = (start, end) => list.some((e) => start < e.offset + e.length && e.offset < end);
    for (const [type, pattern] of AUTO) {
      for (const match of text.matchAll(pattern)) {
        const start = match.index;
        const end = start + match[0].length;
        if (!covered(start, end)) list.push({ type, offset: start, length: end - start });
      }
    }
    return list;
  }

  function entityNode(entity, content) {
    switch (entity.type) {
      case "bold": return el("strong");
      case "italic": return el("em");
      case "underline": return el("u");
      case "strikethrough": return el("s");
      case "code": return el("code");
      case "pre": { const code = el("code"); return { outer: el("pre", {}, code), inner: code }; }
      case "blockquote": case "expandable_blockquote": return el("blockquote");
      case "spoiler": return el("span", { class: "spoiler", onclick: (e) => e.currentTarget.classList.add("revealed") });
      case "text_link": return link(entity.url);
      case "url": return link(/^[a-z]+:\/\//i.test(content) ? content : `https://${content}`);
      case "email": return el("a", { href: `mailto:${content}` });
      case "phone_number": return el("a", { href: `tel:${content.replace(/\s+/g, "")}` });
      case "bot_command": return el("span", { class: "command", onclick: () => sendCommandFromText(content) });
      case "mention": case "text_mention": return el("span", { class: "mention" });
      default: return el("span");
    }
  }

  function link(url) {
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer", onclick: (event) => onLink(event, url) });
  }

  /** t.me links to our bot open the bot as someone (the sandbox asks who). */
  function deepLinkPayload(url) {
    try {
      const u = new URL(url);
      if (/^(t|telegram)\.me$/i.test(u.hostname) && u.pathname === "/share/url" && u.searchParams.get("url")) {
        // "Share" buttons forward a link: here it is opened by whoever receives it.
        return deepLinkPayload(u.searchParams.get("url"));
      }
      const bot = S.config.bot.username.toLowerCase();
      if (/^(www\.)?(t|telegram)\.me$/i.test(u.hostname) && u.pathname.replace(/^\//, "").toLowerCase() === bot) {
        return u.searchParams.get("start") ?? "";
      }
      if (u.protocol === "tg:" && (u.searchParams.get("domain") || "").toLowerCase() === bot) {
        return u.searchParams.get("start") ?? "";
      }
    } catch { /* not a URL */ }
    return null;
  }

  function onLink(event, url) {
    const payload = deepLinkPayload(url);
    if (payload === null) return; // an ordinary link opens in a new tab
    event.preventDefault();
    openDeepLink(payload);
  }

  // ------------------------------------------------------------ message nodes

  const SERVICE_KEYS = [
    "forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened",
    "new_chat_members", "left_chat_member", "pinned_message", "successful_payment",
    "group_chat_created", "supergroup_chat_created", "new_chat_title", "general_forum_topic_hidden",
    "general_forum_topic_unhidden", "refunded_payment",
  ];

  function serviceText(msg) {
    const who = msg.from && msg.from.id === botId() ? S.config.bot.name : nameOf(msg.from);
    if (msg.forum_topic_created) return t("service.topic_created", { name: msg.forum_topic_created.name });
    if (msg.forum_topic_edited) {
      return msg.forum_topic_edited.name ? t("service.topic_renamed", { name: msg.forum_topic_edited.name }) : t("service.topic_edited");
    }
    if (msg.forum_topic_closed) return t("service.topic_closed");
    if (msg.forum_topic_reopened) return t("service.topic_reopened");
    if (msg.new_chat_members) return t("service.joined", { name: msg.new_chat_members.map(nameOf).join(", ") });
    if (msg.left_chat_member) return t("service.left", { name: nameOf(msg.left_chat_member) });
    if (msg.pinned_message) return t("service.pinned", { name: who, text: snippet(msg.pinned_message) });
    if (msg.successful_payment) {
      const p = msg.successful_payment;
      return t("service.paid", { name: who, amount: fmtMoney(p.total_amount, p.currency) });
    }
    if (msg.refunded_payment) return t("service.refunded");
    if (msg.new_chat_title) return t("service.title", { name: msg.new_chat_title });
    return t("service.other");
  }

  /** One message as a DOM node. view: {pane: "chat"|"group", chatId, viewerId}. */
  function messageNode(msg, view) {
    if (SERVICE_KEYS.some((key) => key in msg)) {
      return el("div", {
        class: `service${msg.successful_payment ? " payment" : ""}`,
        dataset: { id: msg.message_id },
      }, serviceText(msg));
    }
    const fromId = msg.from ? msg.from.id : null;
    const fromBot = fromId === botId();
    const out = fromId === view.viewerId;
    const node = el("div", { class: `msg ${out ? "out" : "in"}`, dataset: { id: msg.message_id, from: fromId ?? "" } });
    if (msg.media_group_id) node.classList.add("album-item");
    if (!out) {
      node.append(fromBot ? el("div", { class: "avatar small bot-avatar" }, "C") : avatar(nameOf(msg.from), fromId, true));
    }
    const body = el("div", { class: "msg-body" });
    const bubble = el("div", { class: "bubble" });
    if (view.pane === "group" && !out) {
      bubble.append(el("div", { class: "sender", style: `color:${fromBot ? "var(--brand-dark)" : colorFor(fromId)}` },
        fromBot ? S.config.bot.name : nameOf(msg.from),
        fromBot ? el("span", { class: "bot-tag", text: t("chat.bot") }) : null));
    }
    const quoted = msg.reply_to_message;
    if (quoted && !quoted.forum_topic_created) {
      bubble.append(el("div", { class: "quote", onclick: () => scrollToMessage(view, quoted.message_id) },
        el("div", { class: "quote-name", text: quoted.from && quoted.from.id === botId() ? S.config.bot.name : nameOf(quoted.from) }),
        el("div", { class: "quote-text", text: snippet(quoted) })));
    }
    appendMedia(bubble, msg, view);
    const text = msg.text ?? msg.caption;
    const entities = msg.text !== undefined ? msg.entities : msg.caption_entities;
    if (text) bubble.append(el("div", { class: "text" }, richText(text, entities)));
    bubble.append(el("span", { class: "meta" },
      msg.edit_date ? `${t("chat.edited")} ` : "",
      fmtTime(new Date((msg.edit_date || msg.date) * 1000))));
    body.append(bubble);
    const markup = msg.reply_markup;
    if (markup && markup.inline_keyboard && markup.inline_keyboard.length) {
      node.classList.add("has-keyboard");
      body.append(inlineKeyboard(msg, view));
    }
    node.append(body);
    node.append(el("div", { class: "msg-actions" },
      el("button", { type: "button", title: t("chat.reply"), onclick: () => setReply(view.pane, msg) }, icon("reply"))));
    return node;
  }

  function appendMedia(bubble, msg, view) {
    if (msg.photo && msg.photo.length) {
      const sizes = msg.photo;
      const shown = sizes.filter((s) => Math.max(s.width, s.height) <= 800).pop() || sizes[sizes.length - 1];
      const full = sizes[sizes.length - 1];
      bubble.append(el("img", {
        class: "photo", src: emu.file(shown.file_id), alt: t("snippet.photo"), loading: "lazy",
        width: shown.width, height: shown.height,
        onclick: () => showImage(emu.file(full.file_id)),
        onload: (event) => keepAtBottom(event.currentTarget),
      }));
      const fromBot = msg.from && msg.from.id === botId();
      if (view.pane === "chat" && fromBot) {
        // A QR code the bot sent can be held to the gate's reader.
        const actions = el("div", { class: "photo-actions", hidden: true });
        bubble.append(actions);
        qrToken(full.file_id).then((token) => {
          if (!token) return;
          actions.append(el("button", { type: "button", class: "chip", onclick: () => showQrAtGate(token) },
            icon("qr"), t("chat.show_at_gate")));
          actions.hidden = false;
        });
      }
    }
    if (msg.document) {
      const d = msg.document;
      const ext = (d.file_name || "").split(".").pop().slice(0, 4).toUpperCase() || "FILE";
      bubble.append(el("a", { class: "file-card", href: emu.file(d.file_id), target: "_blank", rel: "noopener" },
        el("div", { class: "file-icon", text: ext }),
        el("div", {}, el("div", { class: "file-name", text: d.file_name || t("snippet.file") }),
          el("div", { class: "file-size", text: `${fmtSize(d.file_size)} · ${t("chat.open_file")}` }))));
    }
    for (const kind of ["video", "animation"]) {
      if (msg[kind]) bubble.append(el("video", { class: "photo", src: emu.file(msg[kind].file_id), controls: true }));
    }
    if (msg.voice || msg.audio) {
      const f = msg.voice || msg.audio;
      bubble.append(el("audio", { src: emu.file(f.file_id), controls: true }));
    }
    if (msg.location) {
      const { latitude, longitude } = msg.location;
      bubble.append(el("div", { class: "card-line location-card" }, el("span", { class: "pin" }, icon("pin")),
        el("div", {}, el("div", { class: "file-name", text: t("snippet.location") }),
          el("div", { class: "file-size", text: `${latitude.toFixed(5)}, ${longitude.toFixed(5)}` }))));
    }
    if (msg.contact) {
      const c = msg.contact;
      bubble.append(el("div", { class: "card-line" }, avatar(nameOf(c), c.user_id || 0, true),
        el("div", {}, el("div", { class: "file-name", text: nameOf(c) }), el("div", { class: "file-size", text: c.phone_number }))));
    }
    if (msg.invoice) bubble.append(invoiceCard(msg, view));
  }

  function invoiceCard(msg, view) {
    const inv = msg.invoice;
    const hasPayButton = (msg.reply_markup?.inline_keyboard || []).some((row) => row.some((b) => b.pay));
    const card = el("div", { class: "invoice" },
      el("div", { class: "invoice-title", text: inv.title }),
      el("div", { class: "invoice-desc", text: inv.description }),
      el("div", { class: "invoice-total", text: fmtMoney(inv.total_amount, inv.currency) }));
    if (!hasPayButton) {
      const button = el("button", { type: "button", class: "primary", dataset: { testid: "pay" } },
        t("chat.pay", { amount: fmtMoney(inv.total_amount, inv.currency) }));
      button.addEventListener("click", () => pay(msg, view, button));
      card.append(button);
    }
    return card;
  }

  async function pay(msg, view, button) {
    // Telegram's payment form: what is paid and how much, then Pay or Cancel.
    const inv = msg.invoice;
    const amount = fmtMoney(inv.total_amount, inv.currency);
    const confirmed = await modalForm({
      title: inv.title, text: `${inv.description}\n${amount}`, fields: [], submit: t("chat.pay", { amount }),
    });
    if (confirmed === null) return;
    const label = button.textContent;
    button.disabled = true;
    button.textContent = t("chat.paying");
    try {
      const outcome = await emu.pay(view.chatId, { message_id: msg.message_id, from_user: view.viewerId, timeout: 12 });
      if (outcome.ok) {
        button.textContent = t("chat.paid");
        toast(t("chat.payment_done"));
        return;
      }
      button.disabled = false;
      button.textContent = label;
      const reason = outcome.status === "timeout" ? t("chat.payment_timeout") : outcome.error_message || "";
      modalAlert(t("chat.payment_declined"), reason);
    } catch (error) {
      button.disabled = false;
      button.textContent = label;
      toast(errorText(error), { error: true });
    }
  }

  function inlineKeyboard(msg, view) {
    const box = el("div", { class: "inline-keyboard" });
    for (const row of msg.reply_markup.inline_keyboard) {
      const rowNode = el("div", { class: "kb-row" });
      for (const button of row) {
        const node = el("button", { type: "button", class: "kb-button", title: button.text },
          button.text, button.url ? el("span", { class: "kb-icon" }, icon("link")) : null);
        node.addEventListener("click", () => pressInline(msg, button, view, node));
        rowNode.append(node);
      }
      box.append(rowNode);
    }
    return box;
  }

  async function pressInline(msg, button, view, node) {
    if (button.url) {
      const payload = deepLinkPayload(button.url);
      if (payload !== null) openDeepLink(payload);
      else window.open(button.url, "_blank", "noopener");
      return;
    }
    if (button.copy_text) {
      try { await navigator.clipboard.writeText(button.copy_text.text); toast(t("chat.copied")); } catch { /* ignore */ }
      return;
    }
    if (button.pay) { await pay(msg, view, node); return; }
    if (button.callback_data === undefined) {
      toast(t("error.button_unsupported"), { error: true });
      return;
    }
    node.classList.add("busy");
    try {
      const answer = await emu.press(view.chatId, {
        message_id: msg.message_id, callback_data: button.callback_data, from_user: view.viewerId, timeout: 10,
      });
      if (answer && answer.url) {
        const payload = deepLinkPayload(answer.url);
        if (payload !== null) openDeepLink(payload);
      }
      if (answer && answer.text) {
        if (answer.show_alert) modalAlert(S.config.bot.name, answer.text);
        else toast(answer.text);
      }
    } catch (error) {
      toast(errorText(error), { error: true });
    } finally {
      node.classList.remove("busy");
    }
  }

  // ------------------------------------------------------------ chat panes

  const panes = {
    chat: {
      list: $("#chat-messages"),
      form: $("#chat-composer"),
      replyBar: $("#chat-reply"),
      view: () => ({ pane: "chat", chatId: S.personId, viewerId: S.personId }),
      visible: (chatId) => chatId === S.personId,
    },
    group: {
      list: $("#group-messages"),
      form: $("#group-composer"),
      replyBar: $("#group-reply"),
      view: () => ({ pane: "group", chatId: groupId(), viewerId: S.staffId }),
      visible: (chatId, thread) => chatId === groupId() && thread === S.topic,
    },
  };

  const threadOf = (msg) => msg.message_thread_id || GENERAL;

  function nearBottom(list) { return list.scrollHeight - list.scrollTop - list.clientHeight < 160; }

  /** A picture that finished loading grew the list: stay at the bottom if we were there. */
  function keepAtBottom(node) {
    const list = node.closest(".messages");
    if (list && list.scrollHeight - list.scrollTop - list.clientHeight < 480) toBottom(list);
  }
  function toBottom(list) { list.scrollTop = list.scrollHeight; }

  function renderChat() {
    const pane = panes.chat;
    const list = pane.list;
    list.replaceChildren();
    const p = person(S.personId);
    const messages = [...messagesOf(S.personId).values()].sort((a, b) => a.message_id - b.message_id);
    if (!messages.length) list.append(emptyChat(p));
    for (const msg of messages) list.append(messageNode(msg, pane.view()));
    toBottom(list);
    // Telegram shows START only to someone who never opened the bot.
    $("#chat-start").hidden = !(p && !p.started && messages.length === 0);
    pane.form.hidden = !$("#chat-start").hidden;
    renderKeyboard();
    renderReplyBar("chat");
  }

  function emptyChat(p) {
    const box = el("div", { class: "empty-chat" },
      el("h3", { text: t("chat.empty_title") }),
      el("div", { text: p && p.kind === "new" ? t("chat.empty_new") : p && p.started ? t("chat.empty_started") : t("chat.empty_text") }));
    if (p && p.started) {
      box.append(el("button", { type: "button", class: "primary", style: "margin-top:12px", onclick: () => sendText("chat", "/start") }, t("chat.open_menu")));
    }
    if (p && p.kind === "new" && S.invitations.length) {
      box.append(el("div", { class: "invitations" }, invitationCards({ forPerson: p })));
    }
    return box;
  }

  function renderGroup() {
    const pane = panes.group;
    const list = pane.list;
    list.replaceChildren();
    const messages = [...messagesOf(groupId()).values()]
      .filter((m) => threadOf(m) === S.topic)
      .sort((a, b) => a.message_id - b.message_id);
    if (!messages.length) list.append(el("div", { class: "empty-chat" }, el("div", { text: t("group.empty") })));
    for (const msg of messages) list.append(messageNode(msg, pane.view()));
    toBottom(list);
    const topic = S.topics.get(S.topic);
    $("#topic-name").textContent = S.topic === GENERAL ? t("group.general") : topic ? topic.name : "";
    $("#group-title").textContent = S.config.group.title;
    const icon = $("#group-avatar");
    icon.textContent = "#";
    icon.style.background = S.topic === GENERAL ? "var(--accent)" : colorForTopic(topic);
    $("textarea", pane.form).placeholder = t("group.placeholder_in", {
      topic: S.topic === GENERAL ? t("group.general") : topic ? topic.name : "",
    });
    S.topicUnread.delete(S.topic);
    renderTopics();
    renderReplyBar("group");
  }

  function colorForTopic(topic) {
    if (!topic || !topic.icon_color) return "var(--accent)";
    return `#${Number(topic.icon_color).toString(16).padStart(6, "0")}`;
  }

  function renderTopics() {
    const nav = $("#topics");
    const last = new Map();
    for (const msg of messagesOf(groupId()).values()) {
      const thread = threadOf(msg);
      last.set(thread, Math.max(last.get(thread) || 0, msg.message_id));
    }
    const ids = [...S.topics.keys()].filter((id) => id !== GENERAL).sort((a, b) => (last.get(b) || b) - (last.get(a) || a));
    nav.replaceChildren();
    const entry = (id, name, topic) => {
      const unread = S.topicUnread.get(id) || 0;
      return el("button", {
        type: "button",
        class: `topic${id === S.topic ? " active" : ""}${topic && topic.closed ? " closed" : ""}${topic && topic.fresh ? " fresh" : ""}`,
        dataset: { thread: id },
        title: name,
        onclick: () => selectTopic(id),
      },
      el("span", { class: "topic-icon", style: `background:${id === GENERAL ? "var(--accent)" : colorForTopic(topic)}` },
        id === GENERAL ? "#" : topic && topic.closed ? "🔒" : "●"),
      el("span", { class: "topic-name", text: name }),
      unread ? el("span", { class: "badge", text: unread }) : null);
    };
    nav.append(entry(GENERAL, t("group.general"), null));
    for (const id of ids) {
      const topic = S.topics.get(id);
      nav.append(entry(id, topic.name, topic));
      topic.fresh = false;
    }
  }

  function selectTopic(id) {
    S.topic = id;
    S.reply.group = null;
    renderGroup();
  }

  function upsertMessage(chatId, msg, { edited = false } = {}) {
    const known = messagesOf(chatId);
    known.set(msg.message_id, msg);
    let paneKey = null;
    if (chatId === S.personId) paneKey = "chat";
    else if (chatId === groupId() && threadOf(msg) === S.topic) paneKey = "group";
    if (!paneKey) return false;
    const pane = panes[paneKey];
    const list = pane.list;
    const stick = nearBottom(list) || (msg.from && msg.from.id === pane.view().viewerId);
    const existing = list.querySelector(`[data-id="${msg.message_id}"]`);
    const node = messageNode(msg, pane.view());
    if (existing) {
      existing.replaceWith(node);
      if (edited && node.classList.contains("msg")) node.classList.add("flash");
    } else {
      const empty = $(".empty-chat", list);
      if (empty) empty.remove();
      const after = [...list.children].find((child) => Number(child.dataset.id) > msg.message_id);
      list.insertBefore(node, after || null);
      if (stick) toBottom(list);
    }
    if (paneKey === "chat") {
      $("#chat-start").hidden = true;
      pane.form.hidden = false;
    }
    return true;
  }

  function removeMessage(chatId, messageId) {
    messagesOf(chatId).delete(messageId);
    for (const pane of Object.values(panes)) {
      const node = pane.list.querySelector(`[data-id="${messageId}"]`);
      if (node && pane.view().chatId === chatId) node.remove();
    }
  }

  function scrollToMessage(view, messageId) {
    const list = panes[view.pane].list;
    const node = list.querySelector(`[data-id="${messageId}"]`);
    if (!node) return;
    node.scrollIntoView({ block: "center", behavior: "smooth" });
    node.classList.remove("flash");
    void node.offsetWidth;
    node.classList.add("flash");
  }

  // replies
  function setReply(paneKey, msg) {
    S.reply[paneKey] = msg;
    renderReplyBar(paneKey);
    $("textarea", panes[paneKey].form).focus();
  }
  function renderReplyBar(paneKey) {
    const bar = panes[paneKey].replyBar;
    const msg = S.reply[paneKey];
    bar.hidden = !msg;
    if (!msg) return;
    const name = msg.from && msg.from.id === botId() ? S.config.bot.name : nameOf(msg.from);
    $(".reply-bar-text", bar).replaceChildren(el("b", { text: t("chat.reply_to", { name }) }), " ", snippet(msg));
  }
  for (const [key, pane] of Object.entries(panes)) {
    $("[data-action=cancel-reply]", pane.replyBar).addEventListener("click", () => { S.reply[key] = null; renderReplyBar(key); });
  }

  // reply keyboard (private chat)
  async function refreshKeyboard(chatId) {
    try {
      const info = await emu.chat(chatId);
      S.keyboards.set(chatId, info.reply_keyboard || null);
    } catch { S.keyboards.delete(chatId); }
    if (chatId === S.personId) renderKeyboard();
  }

  function renderKeyboard() {
    const box = $("#chat-keyboard");
    const toggle = $(".keyboard-toggle", panes.chat.form);
    const markup = S.keyboards.get(S.personId);
    const textarea = $("textarea", panes.chat.form);
    textarea.placeholder = (markup && markup.input_field_placeholder) || t("chat.placeholder");
    toggle.hidden = !markup;
    box.replaceChildren();
    box.hidden = !markup || S.keyboardHidden;
    if (!markup) return;
    for (const row of markup.keyboard || []) {
      const rowNode = el("div", { class: "kb-row" });
      for (const raw of row) {
        const button = typeof raw === "string" ? { text: raw } : raw;
        rowNode.append(el("button", { type: "button", class: "kb-button", onclick: () => pressKey(button) },
          button.request_location ? icon("pin") : null, button.text));
      }
      box.append(rowNode);
    }
  }

  async function pressKey(button) {
    const chatId = S.personId;
    try {
      if (button.request_contact) {
        const p = person(chatId);
        if (!p || !p.phone) {
          const phone = await askPhone();
          if (!phone) return;
          await emu.contact(chatId, { phone });
          refreshPeopleSoon();
          return;
        }
        await emu.key(chatId, { text: button.text });
      } else if (button.request_location) {
        const where = await askLocation();
        if (!where) return;
        await emu.key(chatId, { text: button.text, ...where });
      } else if (button.request_users || button.request_chat || button.request_poll || button.web_app) {
        toast(t("error.button_unsupported"), { error: true });
        return;
      } else {
        await emu.key(chatId, { text: button.text });
      }
      refreshKeyboard(chatId);
    } catch (error) {
      toast(errorText(error), { error: true });
    }
  }

  // composer
  function setupComposer(paneKey) {
    const pane = panes[paneKey];
    const form = pane.form;
    const textarea = $("textarea", form);
    const grow = () => { textarea.style.height = "auto"; textarea.style.height = `${Math.min(textarea.scrollHeight, 120)}px`; };
    textarea.addEventListener("input", grow);
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = textarea.value.trim();
      if (!text) return;
      const view = pane.view();
      const body = { text, from_user: view.viewerId };
      if (S.reply[paneKey]) body.reply_to = S.reply[paneKey].message_id;
      if (paneKey === "group" && S.topic !== GENERAL) body.thread_id = S.topic;
      try {
        await emu.send(view.chatId, body);
        textarea.value = "";
        grow();
        S.reply[paneKey] = null;
        renderReplyBar(paneKey);
      } catch (error) {
        toast(errorText(error), { error: true });
      }
    });
    const attachMenu = $(".attach-menu", form);
    $("[data-action=attach]", form).addEventListener("click", (event) => {
      event.stopPropagation();
      const open = attachMenu.hidden;
      closeMenus();
      attachMenu.hidden = !open;
    });
    const photoInput = $(".file-photo", form);
    const documentInput = $(".file-document", form);
    for (const button of $$("[data-attach]", attachMenu)) {
      button.addEventListener("click", async () => {
        closeMenus();
        const kind = button.dataset.attach;
        if (kind === "photo") photoInput.click();
        else if (kind === "document") documentInput.click();
        else if (kind === "contact") await shareContact();
        else if (kind === "location") await shareLocation();
      });
    }
    photoInput.addEventListener("change", () => { sendFiles(paneKey, "photo", [...photoInput.files]); photoInput.value = ""; });
    documentInput.addEventListener("change", () => { sendFiles(paneKey, "document", [...documentInput.files]); documentInput.value = ""; });
    $("[data-action=commands]", form).addEventListener("click", (event) => { event.stopPropagation(); showCommands(paneKey, event.currentTarget); });
    const toggle = $("[data-action=keyboard]", form);
    if (toggle) toggle.addEventListener("click", () => { S.keyboardHidden = !S.keyboardHidden; renderKeyboard(); });
  }

  async function sendFiles(paneKey, kind, files) {
    if (!files.length) return;
    const pane = panes[paneKey];
    const view = pane.view();
    const textarea = $("textarea", pane.form);
    const caption = textarea.value.trim();
    const base = (form) => {
      form.append("from_user", String(view.viewerId));
      if (caption) form.append("caption", caption);
      if (paneKey === "group" && S.topic !== GENERAL) form.append("thread_id", String(S.topic));
      if (S.reply[paneKey]) form.append("reply_to", String(S.reply[paneKey].message_id));
      return form;
    };
    try {
      if (kind === "photo" && files.length > 1) {
        for (let start = 0; start < files.length; start += 10) {
          const chunk = files.slice(start, start + 10);
          const form = base(new FormData());
          if (chunk.length === 1) {
            form.append("photo", chunk[0], chunk[0].name);
            await emu.upload(view.chatId, "photo", form);
          } else {
            chunk.forEach((file, i) => form.append(`photo${i}`, file, file.name));
            await emu.upload(view.chatId, "album", form);
          }
        }
      } else {
        for (const file of files) {
          const form = base(new FormData());
          form.append(kind, file, file.name);
          await emu.upload(view.chatId, kind, form);
        }
      }
      textarea.value = "";
      S.reply[paneKey] = null;
      renderReplyBar(paneKey);
    } catch (error) {
      toast(errorText(error), { error: true });
    }
  }

  async function shareContact() {
    const p = person(S.personId);
    const phone = p && p.phone ? p.phone : await askPhone();
    if (!phone) return;
    try {
      await emu.contact(S.personId, { phone });
      refreshPeopleSoon();
    } catch (error) { toast(errorText(error), { error: true }); }
  }

  async function shareLocation() {
    const where = await askLocation();
    if (!where) return;
    try { await emu.location(S.personId, where); } catch (error) { toast(errorText(error), { error: true }); }
  }

  async function showCommands(paneKey, anchor) {
    const view = panes[paneKey].view();
    let data;
    try { data = await emu.commands(view.chatId, view.viewerId); } catch (error) { toast(errorText(error), { error: true }); return; }
    const host = anchor.parentElement;
    let menu = $(".commands-menu", host);
    if (!menu) {
      menu = el("div", { class: "menu commands-menu", style: "bottom:calc(100% + 8px);left:0" });
      host.style.position = "relative";
      host.append(menu);
    }
    menu.replaceChildren(el("div", { class: "menu-title", text: t("chat.commands") }));
    if (!data.commands.length) menu.append(el("div", { class: "menu-item menu-item-sub", text: t("chat.no_commands") }));
    for (const command of data.commands) {
      menu.append(el("button", { type: "button", onclick: () => { closeMenus(); sendText(paneKey, `/${command.command}`); } },
        el("div", { text: `/${command.command}` }), el("div", { class: "menu-item-sub", text: command.description })));
    }
    closeMenus();
    menu.hidden = false;
  }

  async function sendText(paneKey, text) {
    const view = panes[paneKey].view();
    const body = { text, from_user: view.viewerId };
    if (paneKey === "group" && S.topic !== GENERAL) body.thread_id = S.topic;
    try { await emu.send(view.chatId, body); } catch (error) { toast(errorText(error), { error: true }); }
  }

  function sendCommandFromText(command) {
    // A /command in the bot's text is tappable in Telegram's private chats.
    sendText("chat", command.split("@")[0]);
  }

  $("#chat-start-button").addEventListener("click", () => sendText("chat", "/start"));

  // ---------------------------------------------------------- who is acting

  async function loadChat(chatId) {
    if (S.loaded.has(chatId)) return;
    const history = await emu.history(chatId);
    const known = messagesOf(chatId);
    for (const msg of history) known.set(msg.message_id, msg);
    S.loaded.add(chatId);
  }

  async function selectPerson(id) {
    S.personId = id;
    store.set("person", id);
    S.unread.delete(id);
    S.reply.chat = null;
    S.keyboardHidden = false;
    renderPersonPicker();
    try { await loadChat(id); } catch (error) { toast(errorText(error), { error: true }); }
    renderChat();
    refreshKeyboard(id);
    showPane("chat-pane");
  }

  function selectStaff(id) {
    S.staffId = id;
    store.set("staff", id);
    renderStaffPicker();
    renderGroup();
  }

  async function askNewPerson(defaults = {}) {
    const count = S.people.filter((p) => p.kind === "new").length + 1;
    const result = await modalForm({
      title: t("people.new_title"),
      text: t("people.new_text"),
      fields: [
        { name: "name", label: t("people.name"), value: defaults.name || t("people.default_name", { n: count }), required: true, maxlength: 64 },
        { name: "language", label: t("people.language"), type: "select", value: defaults.language || I18N.locale,
          options: [["zh_Hans", "中文"], ["en", "English"]] },
      ],
      submit: t("people.create"),
    });
    if (!result) return null;
    try {
      const created = await api("POST", "/sandbox/api/people", { name: result.name, language: result.language });
      await refreshPeople();
      return created;
    } catch (error) {
      toast(errorText(error), { error: true });
      return null;
    }
  }

  /** Someone opens t.me/<bot>?start=<payload>: ask who, then /start <payload> as them. */
  async function openDeepLink(payload) {
    const choices = S.people.filter((p) => p.kind !== "staff");
    const picked = await modalChoice({
      title: t("link.title"),
      text: payload ? t("link.text", { payload }) : t("link.text_plain"),
      choices: [
        { id: "new", label: t("people.add"), sub: t("link.new_sub") },
        ...choices.map((p) => ({ id: p.id, person: p })),
      ],
    });
    if (picked === null) return;
    let target = picked === "new" ? await askNewPerson() : person(picked);
    if (!target) return;
    await selectPerson(target.id);
    await sendText("chat", payload ? `/start ${payload}` : "/start");
  }

  // ------------------------------------------------------------- dialogs

  const modal = $("#modal");

  function modalForm({ title, text, fields, submit, cancel = true }) {
    return new Promise((resolve) => {
      const form = el("form", { method: "dialog" }, el("h2", { text: title }), text ? el("p", { text }) : null);
      const inputs = {};
      for (const field of fields) {
        let input;
        if (field.type === "select") {
          input = el("select", { name: field.name }, field.options.map(([value, label]) =>
            el("option", { value, selected: value === field.value }, label)));
        } else {
          input = el("input", {
            name: field.name, type: field.type || "text", value: field.value ?? "", required: field.required,
            maxlength: field.maxlength, step: field.step, inputmode: field.inputmode,
          });
        }
        inputs[field.name] = input;
        form.append(el("label", {}, field.label, input));
      }
      const buttons = el("div", { class: "buttons" });
      if (cancel) buttons.append(el("button", { type: "button", class: "ghost", onclick: () => close(null) }, t("common.cancel")));
      buttons.append(el("button", { type: "submit", class: "primary" }, submit || t("common.ok")));
      form.append(buttons);
      const close = (value) => { modal.close(); resolve(value); };
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const values = {};
        for (const [name, input] of Object.entries(inputs)) values[name] = input.value.trim();
        close(values);
      });
      // Escape cancels. (Not the "close" event: it arrives late, after the next dialog opened.)
      modal.oncancel = (event) => { event.preventDefault(); close(null); };
      modal.className = "modal";
      modal.replaceChildren(form);
      modal.showModal();
      const first = Object.values(inputs)[0];
      if (first) { first.focus(); if (first.select) first.select(); }
    });
  }

  function modalChoice({ title, text, choices }) {
    return new Promise((resolve) => {
      const list = el("div", { class: "choice-list" });
      const close = (value) => { modal.close(); resolve(value); };
      for (const choice of choices) {
        if (choice.person) {
          list.append(optionNode(choice.person, { onPick: () => close(choice.id) }));
        } else {
          list.append(el("button", { type: "button", class: "picker-option new-person", onclick: () => close(choice.id) },
            el("div", { class: "avatar small", style: "background:#0f9b7a" }, "+"),
            el("div", { class: "who" }, el("div", { class: "who-name", text: choice.label }), el("div", { class: "who-sub", text: choice.sub || "" }))));
        }
      }
      const form = el("form", { method: "dialog" }, el("h2", { text: title }), text ? el("p", { text }) : null, list,
        el("div", { class: "buttons" }, el("button", { type: "button", class: "ghost", onclick: () => close(null) }, t("common.cancel"))));
      modal.oncancel = (event) => { event.preventDefault(); close(null); };
      modal.className = "modal";
      modal.replaceChildren(form);
      modal.showModal();
    });
  }

  function modalAlert(title, text) {
    return modalForm({ title, text, fields: [], submit: t("common.ok"), cancel: false });
  }

  function showImage(src) {
    modal.className = "modal wide";
    modal.oncancel = null;
    modal.replaceChildren(el("form", { method: "dialog" }, el("img", { class: "full", src }),
      el("div", { class: "buttons" }, el("button", { type: "submit", class: "primary" }, t("common.close")))));
    modal.showModal();
  }

  async function askPhone() {
    const result = await modalForm({
      title: t("contact.title"), text: t("contact.text"),
      fields: [{ name: "phone", label: t("contact.phone"), value: "+86 138 0013 8000", required: true, inputmode: "tel" }],
      submit: t("contact.share"),
    });
    return result ? result.phone : null;
  }

  async function askLocation() {
    const home = S.config.location;
    const result = await modalForm({
      title: t("location.title"), text: t("location.text"),
      fields: [
        { name: "latitude", label: t("location.latitude"), value: home.latitude, type: "number", step: "any", required: true },
        { name: "longitude", label: t("location.longitude"), value: home.longitude, type: "number", step: "any", required: true },
      ],
      submit: t("location.share"),
    });
    if (!result) return null;
    const latitude = Number(result.latitude);
    const longitude = Number(result.longitude);
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return null;
    return { latitude, longitude };
  }

  // --------------------------------------------------------------- toasts

  /** A short note at the bottom; a toast with the same key replaces the earlier one. */
  function toast(text, { error = false, action = null, timeout = 4200, key = null } = {}) {
    if (key) for (const old of $$(".toast")) if (old.dataset.key === key) old.remove();
    const node = el("div", { class: `toast${error ? " error" : ""}`, dataset: key ? { key } : {} }, text);
    if (action) {
      node.append(" ", el("button", { type: "button", class: "chip", style: "margin-left:8px", onclick: () => { action.run(); node.remove(); } }, action.label));
    }
    $("#toasts").append(node);
    setTimeout(() => node.remove(), timeout);
  }

  // ------------------------------------------------------------ live events

  let events = null;
  let lostEvents = false;
  const typingTimers = new Map();

  function connectEvents(since) {
    events = new EventSource(`/_emulator/events?since=${since}`);
    events.onmessage = (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      handleEvent(event);
    };
    // The browser reconnects by itself; once it is back, make sure it is still the
    // same sandbox (a restarted one numbers its events from 1 again: reload).
    events.onerror = () => { lostEvents = true; };
    events.onopen = () => { if (lostEvents) { lostEvents = false; checkRestart(); } };
  }

  async function checkRestart() {
    const config = await whenReady(() => api("GET", "/sandbox/api/config"));
    if (config.boot_id !== S.config.boot_id) window.location.reload();
  }

  /** Retry while the sandbox is (re)starting: it serves the page before the bot is up. */
  async function whenReady(call, seconds = 180) {
    for (let waited = 0; ; waited += 1) {
      try {
        return await call();
      } catch (error) {
        const starting = error instanceof ApiError && (error.status === 503 || error.status === 0);
        if (!starting || waited >= seconds) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  function handleEvent(event) {
    switch (event.type) {
      case "message":
      case "message_edited":
        onMessageEvent(event);
        break;
      case "message_deleted":
        removeMessage(event.chat_id, event.message_id);
        break;
      case "topic_created":
      case "topic_edited":
      case "topic_closed":
      case "topic_reopened":
        if (event.chat_id === groupId()) {
          const topic = event.topic;
          const old = S.topics.get(topic.message_thread_id) || {};
          S.topics.set(topic.message_thread_id, {
            ...old, ...topic,
            closed: event.type === "topic_closed" ? true : event.type === "topic_reopened" ? false : old.closed || false,
            fresh: event.type === "topic_created",
          });
          renderTopics();
          if (S.topic === topic.message_thread_id) $("#topic-name").textContent = topic.name;
        }
        break;
      case "topic_deleted":
        if (event.chat_id === groupId()) { S.topics.delete(event.topic?.message_thread_id); renderTopics(); }
        break;
      case "chat_action":
        showTyping(event);
        break;
      case "user_created":
      case "member_changed":
        refreshPeopleSoon();
        break;
      default:
        break;
    }
  }

  function onMessageEvent(event) {
    const msg = event.message;
    const chatId = event.chat_id;
    const edited = event.type === "message_edited";
    const shown = upsertMessage(chatId, msg, { edited });
    const fromBot = msg.from && msg.from.id === botId();
    clearTyping(chatId);
    if (chatId === groupId()) {
      const thread = threadOf(msg);
      if (thread !== GENERAL && !S.topics.has(thread)) refreshTopics();
      const topicService = msg.forum_topic_created || msg.forum_topic_edited || msg.forum_topic_closed || msg.forum_topic_reopened;
      if (!shown && !edited && !topicService) S.topicUnread.set(thread, (S.topicUnread.get(thread) || 0) + 1);
      renderTopics();
      return;
    }
    if (!fromBot) return;
    if (chatId === S.personId) {
      if (msg.reply_markup && (msg.reply_markup.keyboard || msg.reply_markup.remove_keyboard)) refreshKeyboard(chatId);
      if (msg.reply_markup && msg.reply_markup.force_reply) setReply("chat", msg);
    }
    if (!shown && !edited) {
      S.unread.set(chatId, (S.unread.get(chatId) || 0) + 1);
      renderPersonPicker();
      const p = person(chatId);
      if (p && p.kind !== "staff") {
        toast(t("chat.new_message_for", { name: p.name }), {
          key: `chat-${chatId}`, timeout: 8000, action: { label: t("chat.show"), run: () => selectPerson(chatId) },
        });
      }
    }
    refreshPeopleSoon();
  }

  function showTyping(event) {
    const label = t(event.action === "typing" ? "chat.typing" : "chat.sending");
    if (event.chat_id === S.personId) {
      const sub = $("#chat-status");
      sub.textContent = label;
      sub.classList.add("typing");
    }
    clearTimeout(typingTimers.get(event.chat_id));
    typingTimers.set(event.chat_id, setTimeout(() => clearTyping(event.chat_id), 5000));
  }

  function clearTyping(chatId) {
    clearTimeout(typingTimers.get(chatId));
    if (chatId === S.personId || chatId === undefined) {
      const sub = $("#chat-status");
      sub.textContent = t("chat.bot");
      sub.classList.remove("typing");
    }
  }

  async function refreshTopics() {
    const info = await emu.chat(groupId());
    const topics = new Map([[GENERAL, { name: t("group.general") }]]);
    for (const topic of info.topics || []) {
      const old = S.topics.get(topic.message_thread_id);
      topics.set(topic.message_thread_id, { ...topic, fresh: !old && S.topics.size > 0 });
    }
    S.topics = topics;
    renderTopics();
  }

  // ---------------------------------------------------------- the gate pane

  const gate = {
    code: "",
    reader: "keypad",
    holdUntil: 0,
    cableCut: false,
    lockTimer: null,
    lastLogId: 0,
    polling: null,
    camera: null,
  };

  function renderGatePicker() {
    const box = $("#gate-picker");
    box.replaceChildren();
    for (const g of S.config.gates) {
      box.append(el("button", {
        type: "button", role: "tab", class: g.id === S.gateId ? "active" : "",
        onclick: () => selectGate(g.id),
      }, icon(g.kind === "vehicle" ? "car" : "walk"), g.name));
    }
  }

  function selectGate(id) {
    S.gateId = id;
    store.set("gate", id);
    gate.lastLogId = 0;
    // The display belongs to the gate shown: the other gate's last result (or its
    // lock-out countdown) does not follow the switch.
    clearInterval(gate.lockTimer);
    gate.code = "";
    renderCode();
    renderGatePicker();
    idleDisplay(true);
    pollGate();
  }

  function setDisplay(tone, main, sub = "", holdMs = 0) {
    const box = $("#gate-display");
    box.dataset.tone = tone;
    $("#display-main").textContent = main;
    $("#display-sub").textContent = sub;
    gate.holdUntil = holdMs ? Date.now() + holdMs : 0;
  }

  function idleDisplay(force = false) {
    if (!force && gate.holdUntil && Date.now() < gate.holdUntil) return;
    if (!S.config.gate_api) {
      setDisplay("warn", t("gate.api_down"), t("gate.api_down_sub"));
      return;
    }
    const main = { keypad: t("gate.idle.keypad"), qr: t("gate.idle.qr"), face: t("gate.idle.face"), plate: t("gate.idle.plate") }[gate.reader];
    const g = S.config.gates.find((x) => x.id === S.gateId);
    setDisplay("idle", main, g ? g.name : "");
  }

  function renderCode() {
    const box = $("#code-entry");
    box.replaceChildren(gate.code ? gate.code : el("span", { class: "placeholder", text: "········" }));
  }

  function keypadPress(key) {
    if (key === "clear") gate.code = "";
    else if (key === "enter") { submitCode(); return; }
    else if (/^\d$/.test(key) && gate.code.length < 16) gate.code += key;
    renderCode();
  }

  async function submitCode() {
    if (!gate.code) return;
    const code = gate.code;
    gate.code = "";
    renderCode();
    await verify({ code });
  }

  function reasonText(reason) {
    const key = `reason.${reason}`;
    return I18N.strings[key] ? t(key) : reason;
  }

  async function verify(credential) {
    setDisplay("busy", t("gate.checking"), "", 15000);
    let result;
    const asked = S.gateId;
    try {
      // The lane the terminal stands in: the exit lane's terminal sends "out" (0031).
      const body = { ...credential, direction: gate.lane || "in" };
      result = await api("POST", `/sandbox/api/gates/${asked}/verify`, body);
    } catch (error) {
      if (S.gateId !== asked) return;
      setDisplay("warn", error.code === "gate_api_down" ? t("gate.api_down") : t("gate.error"), errorText(error), 6000);
      return;
    }
    if (S.gateId !== asked) return;  // switched meanwhile: the answer was for the other gate
    showDecision(result);
    renderDoor(result.door);
    pollGate();
  }

  function showDecision(result) {
    const d = result.decision || {};
    clearInterval(gate.lockTimer);
    if (result.status === 429 || d.reason === "locked_out") {
      let left = Math.max(1, Number(d.retry_after_s || 1));
      const tick = () => {
        setDisplay("warn", t("gate.locked"), t("gate.wait", { m: Math.ceil(left / 60) }), 2000);
        left -= 1;
        if (left < 0) { clearInterval(gate.lockTimer); idleDisplay(true); }
      };
      tick();
      gate.lockTimer = setInterval(tick, 1000);
      return;
    }
    if (result.status === 415) {
      setDisplay("warn", t("gate.face_off"), "", 6000);
      return;
    }
    if (result.status === 503) {
      setDisplay("warn", t("gate.face_unavailable"), "", 6000);
      return;
    }
    if (result.status >= 400) {
      setDisplay("denied", t("gate.bad_input"), d.detail || d.error || "", 6000);
      return;
    }
    if (d.granted) {
      const leaving = d.reason === "exit";
      const main = leaving ? (d.holder ? t("gate.goodbye", { name: d.holder }) : t("gate.granted_out"))
        : d.holder ? t("gate.welcome", { name: d.holder }) : t("gate.granted");
      let sub = t(`gate.door.${d.door}`);
      if (d.uses_left) sub += ` · ${t("gate.uses_left", { n: d.uses_left })}`;
      if (d.offline) sub += ` · ${t("gate.offline")}`;
      setDisplay(d.door === "failed" ? "warn" : "granted", main, sub, 6000);
    } else {
      const problem = d.face_problem ? t(`face.${d.face_problem}`)
        : d.liveness_problem ? `${reasonText(d.reason)} (${t(`liveness.${d.liveness_problem}`)})` : "";
      const offline = d.offline ? ` · ${t("gate.offline")}` : "";
      if (d.payment) {
        // An exit held for temporary parking: the amount, and the code to pay with.
        const amount = fmtMoney(d.payment.amount_minor, d.payment.currency);
        setDisplay("warn", t("gate.pay", { amount }), t("gate.pay_code", { code: d.payment.pay_code }), 15000);
        return;
      }
      setDisplay("denied", t("gate.denied"), (problem || reasonText(d.reason)) + offline, 6000);
    }
  }

  function renderDoor(door) {
    if (!door) return;
    const box = $("#door");
    box.dataset.state = door.state;
    $("#door-state").textContent = t(`door.${door.state}`);
    let sub = "";
    if (door.state === "released") sub = t("door.closes_in", { s: Math.ceil(door.open_for_s) });
    else if (door.state === "held_open") sub = t("door.held_sub");
    else if (door.state === "unknown") sub = t("door.unknown_sub");
    else sub = t("door.locked_sub");
    $("#door-sub").textContent = sub;
    const bar = $("#door-timer");
    const pulse = 5;
    bar.style.width = door.state === "released" ? `${Math.min(100, (door.open_for_s / pulse) * 100)}%` : door.state === "held_open" ? "100%" : "0";
  }

  // "Cut the cable": a gate agent in front of the gate API decides offline.
  function renderCable(st) {
    gate.cableCut = !!st.cut;
    $("#cable-toggle").textContent = t(st.cut ? "gate.cable_restore" : "gate.cable_cut");
    $("#cable-state").textContent = st.cut ? t("gate.cable_offline", { n: st.queued }) : "";
  }

  async function toggleCable() {
    try {
      const st = await api("POST", "/sandbox/api/gate-agent", { cut: !gate.cableCut });
      renderCable(st);
      toast(t(st.cut ? "gate.cable_cut_done" : "gate.cable_back_done"));
      pollGate();
    } catch (error) {
      toast(errorText(error), { error: true });
    }
  }

  async function pollGate() {
    if (!S.gateId) return;
    const id = S.gateId;
    let data;
    try { data = await api("GET", `/sandbox/api/gates/${id}`); } catch { return; }
    if (id !== S.gateId) return;
    renderDoor(data.door);
    renderLog(data.log);
    renderPlatePicks(data.plates || []);
    if (data.agent) renderCable(data.agent);
    if (!gate.holdUntil || Date.now() > gate.holdUntil) idleDisplay();
  }

  /** The guide's car step: the vehicle gate, its plate reader. */
  function toVehicleLane() {
    closeGuide();
    showPane("gate-pane");
    const lane = S.config.gates.find((g) => g.kind === "vehicle");
    if (lane) selectGate(lane.id);
    selectReader("plate");
  }

  /** The plates the reader offers to pick (registered, visitors', listed). */
  function renderPlatePicks(plates) {
    $("#plate-picks").replaceChildren(...plates.map((p) => el("option", { value: p })));
  }

  function renderLog(rows) {
    const body = $("#access-log");
    const newest = rows.length ? rows[0].id : 0;
    const previous = gate.lastLogId;
    body.replaceChildren();
    for (const row of rows) {
      // Who came, then on whose behalf: "Sam Taylor / visitor · Block 1-502".
      const detail = [row.pass_kind ? t(`pass.${row.pass_kind}`) : "", row.unit].filter(Boolean).join(" · ");
      body.append(el("tr", { class: previous && row.id > previous ? "new" : "" },
        el("td", { class: "time", text: fmtLogTime(new Date(row.at)) }),
        el("td", { text: `${t(`method.${row.method}`)}${row.direction === "out" ? ` · ${t("gate.out")}` : ""}` }),
        el("td", {}, el("div", { text: row.holder || (detail ? "" : "—") }), detail ? el("div", { class: "log-detail", text: detail }) : null),
        el("td", {}, el("span", {
          class: `result ${row.granted ? "ok" : "no"}`,
          text: row.granted ? `✔ ${row.reason === "door_failed" ? reasonText("door_failed") : t("gate.log.granted")}` : `✖ ${reasonText(row.reason)}`,
        }))));
    }
    $("#access-log-empty").hidden = rows.length > 0;
    gate.lastLogId = newest;
  }

  function setupGate() {
    for (const button of $$("#keypad button")) {
      button.addEventListener("click", () => { keypadPress(button.dataset.key); $("#code-entry").focus(); });
    }
    $("#code-entry").addEventListener("keydown", (event) => {
      if (/^\d$/.test(event.key)) keypadPress(event.key);
      else if (event.key === "Backspace") { gate.code = gate.code.slice(0, -1); renderCode(); }
      else if (event.key === "Enter") keypadPress("enter");
      else if (event.key === "Escape") keypadPress("clear");
      else return;
      event.preventDefault();
    });
    for (const tab of $$("#reader-tabs button")) {
      tab.addEventListener("click", () => selectReader(tab.dataset.reader));
    }
    for (const tab of $$("#lane-tabs button")) {
      tab.addEventListener("click", () => {
        gate.lane = tab.dataset.lane;
        for (const other of $$("#lane-tabs button")) other.classList.toggle("active", other === tab);
      });
    }
    $("#qr-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("#qr-token").value.trim();
      if (token) verify({ qr: token });
    });
    // A vehicle lane's camera: the plate as read, the lane, how sure the camera is.
    $("#plate-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const plate = $("#plate-text").value.trim();
      if (!plate) return;
      verify({ plate, direction: $("#plate-lane").value, confidence: Number($("#plate-confidence").value) });
    });
    $("#face-upload").addEventListener("click", () => $("#face-file").click());
    $("#face-file").addEventListener("change", async () => {
      const file = $("#face-file").files[0];
      $("#face-file").value = "";
      if (file) await verifyFace(file);
    });
    $("#face-camera").addEventListener("click", openCamera);
    $("#camera-close").addEventListener("click", closeCamera);
    $("#camera-capture").addEventListener("click", captureCamera);
    $("#camera-challenge").addEventListener("click", challengeCamera);
    for (const button of $$("[data-alarm]")) {
      button.addEventListener("click", async () => {
        try {
          const result = await api("POST", `/sandbox/api/gates/${S.gateId}/events`, { type: button.dataset.alarm });
          if (result.status === 202) toast(t("gate.alarm_sent"));
          else toast(result.result?.detail || t("gate.error"), { error: true });
        } catch (error) {
          toast(errorText(error), { error: true });
        }
      });
    }
    $("#cable-toggle").addEventListener("click", toggleCable);
    $("#intercom-form").addEventListener("submit", (event) => { event.preventDefault(); callUnit(); });
    $("#intercom-photo-pick").addEventListener("click", () => $("#intercom-photo").click());
    $("#intercom-photo").addEventListener("change", () => $("#intercom-photo-pick").classList.toggle("active", $("#intercom-photo").files.length > 0));
    renderCode();
    setInterval(() => { if (!document.hidden) pollGate(); }, 1000);
  }

  // "Call the unit" / a walk-in with a name: the household answers in the chat; the
  // display follows the call until it is decided (bot/sandbox/gate_walkin.py).
  async function callUnit() {
    const unit = $("#intercom-unit").value.trim();
    if (!unit) { $("#intercom-unit").focus(); return; }
    const body = new FormData();
    body.append("unit", unit);
    body.append("name", $("#intercom-name").value.trim());
    body.append("purpose", $("#intercom-purpose").value.trim());
    // The photo picked, or else the webcam's current frame when it is on (the gate camera).
    const video = $("#camera-video");
    let photo = $("#intercom-photo").files[0];
    if (!photo && !$("#camera").hidden && video.videoWidth) photo = await grabFrame(video);
    if (photo) body.append("photo", photo, photo.name || "gate.jpg");
    $("#intercom-photo").value = "";
    $("#intercom-photo-pick").classList.remove("active");
    const asked = S.gateId;
    setDisplay("busy", t("gate.calling", { unit }), "", 15000);
    let result;
    try {
      result = await api("POST", `/sandbox/api/gates/${asked}/call`, body, { form: true });
    } catch (error) {
      setDisplay("warn", t("gate.error"), errorText(error), 6000);
      return;
    }
    const c = result.call || {};
    if (result.status === 429) {
      setDisplay("warn", t(c.error === "refused_recently" ? "call.refused_recently" : "call.rate_limited"), t("call.wait_s", { s: c.retry_after_s || 1 }), 6000);
      return;
    }
    if (result.status !== 201) {
      setDisplay("denied", t(c.error === "unknown_unit" ? "call.unknown_unit" : "gate.bad_input"), c.detail || "", 6000);
      return;
    }
    for (let i = 0; i < 700 && S.gateId === asked; i++) {
      if (c.status !== "ringing") break;
      setDisplay("busy", t("gate.calling", { unit: c.unit }), t("call.answer_within", { s: c.expires_in_s }), 3000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      try {
        const polled = await api("GET", `/sandbox/api/gates/${asked}/calls/${c.call_id}`);
        if (polled.status === 200) Object.assign(c, polled.call);
      } catch { /* the next poll tries again */ }
    }
    if (S.gateId !== asked) return;
    const tone = { let_in: "granted", refused: "denied" }[c.status] || "warn";
    setDisplay(tone, t(`call.${c.status}`), c.unit || "", 8000);
    pollGate();
  }

  function selectReader(reader) {
    gate.reader = reader;
    for (const tab of $$("#reader-tabs button")) tab.classList.toggle("active", tab.dataset.reader === reader);
    for (const box of $$(".reader")) box.hidden = box.dataset.reader !== reader;
    if (reader !== "face") closeCamera();
    idleDisplay(true);
  }

  async function verifyFace(blob) {
    const form = new FormData();
    form.append("image", blob, blob.name || "face.jpg");
    setDisplay("busy", t("gate.checking_face"), "", 20000);
    const asked = S.gateId;
    try {
      const result = await api("POST", `/sandbox/api/gates/${asked}/face`, form, { form: true });
      if (S.gateId !== asked) return;
      showDecision(result);
      renderDoor(result.door);
      pollGate();
    } catch (error) {
      setDisplay("warn", error.code === "gate_api_down" ? t("gate.api_down") : t("gate.error"), errorText(error), 6000);
    }
  }

  async function openCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      toast(t("gate.no_camera"), { error: true });
      return;
    }
    try {
      gate.camera = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    } catch {
      toast(t("gate.no_camera"), { error: true });
      return;
    }
    $("#camera-video").srcObject = gate.camera;
    $("#camera").hidden = false;
  }

  function closeCamera() {
    if (gate.camera) for (const track of gate.camera.getTracks()) track.stop();
    gate.camera = null;
    $("#camera").hidden = true;
  }

  function captureCamera() {
    const video = $("#camera-video");
    if (!video.videoWidth) return;
    const canvas = el("canvas", { width: video.videoWidth, height: video.videoHeight });
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob((blob) => { if (blob) verifyFace(blob); }, "image/jpeg", 0.92);
  }

  /** One webcam frame as JPEG, unmirrored (as a gate's camera sees). */
  function grabFrame(video) {
    const canvas = el("canvas", { width: video.videoWidth, height: video.videoHeight });
    canvas.getContext("2d").drawImage(video, 0, 0);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
  }

  /** The gate asks for an action (blink, turn left or right); the webcam records a
   *  burst of frames while the person does it, and the frames go to the gate. */
  async function challengeCamera() {
    const video = $("#camera-video");
    if (!video.videoWidth) return;
    const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    let issued;
    try {
      issued = await api("POST", `/sandbox/api/gates/${S.gateId}/challenge`, {});
    } catch (error) {
      setDisplay("warn", error.code === "gate_api_down" ? t("gate.api_down") : t("gate.error"), errorText(error), 6000);
      return;
    }
    const c = issued.challenge || {};
    if (issued.status !== 200 || !c.challenge) {
      setDisplay("warn", issued.status === 409 ? t("gate.face_off") : t("gate.error"), c.detail || "", 6000);
      return;
    }
    setDisplay("busy", t(`challenge.${c.action}`), t("challenge.now"), 4000);
    await pause(600);
    const count = Math.min(c.max_frames || 6, 6);
    const gap = Math.max(150, Math.floor((c.burst_ms || 2000) / count));
    const form = new FormData();
    form.append("challenge", c.challenge);
    for (let i = 0; i < count; i += 1) {
      const blob = await grabFrame(video);
      if (blob) form.append("frame", blob, `frame${i}.jpg`);
      await pause(gap);
    }
    setDisplay("busy", t("gate.checking_face"), "", 20000);
    try {
      const result = await api("POST", `/sandbox/api/gates/${S.gateId}/face-burst`, form, { form: true });
      showDecision(result);
      renderDoor(result.door);
      pollGate();
    } catch (error) {
      setDisplay("warn", error.code === "gate_api_down" ? t("gate.api_down") : t("gate.error"), errorText(error), 6000);
    }
  }

  const qrTokens = new Map(); // file id -> Promise of the QR code's text (or null)

  /** What a QR reader would read in a picture (asked once per picture). */
  function qrToken(fileId) {
    if (!qrTokens.has(fileId)) {
      qrTokens.set(fileId, api("POST", "/sandbox/api/qr", { file_id: fileId }).then((r) => r.token, () => null));
    }
    return qrTokens.get(fileId);
  }

  /** The visitor holds the QR picture from the chat to the gate's reader. */
  async function showQrAtGate(token) {
    showPane("gate-pane");
    selectReader("qr");
    $("#qr-token").value = token;
    await verify({ qr: token });
  }

  // ---------------------------------------------------------------- the clock

  function renderClock() {
    if (!S.config) return;
    const now = new Date(Date.parse(S.config.now) + (Date.now() - S.clockFetchedAt));
    $("#clock-now").textContent = fmtClock(now);
    const offset = S.config.clock_offset_s;
    const badge = $("#clock-offset");
    badge.hidden = !offset;
    if (offset) badge.textContent = t("clock.ahead", { span: fmtSpan(offset) });
  }

  function setupClock() {
    const menu = $("#clock-menu");
    const steps = [[10, "clock.plus_10m"], [60, "clock.plus_1h"], [240, "clock.plus_4h"], [1440, "clock.plus_1d"], [4320, "clock.plus_3d"]];
    const build = () => {
      menu.replaceChildren(el("div", { class: "menu-title", text: t("clock.menu_title") }));
      for (const [minutes, key] of steps) {
        menu.append(el("button", { type: "button", dataset: { minutes }, onclick: () => { closeMenus(); advanceClock(minutes); } }, t(key)));
      }
    };
    $("#clock-button").addEventListener("click", (event) => {
      event.stopPropagation();
      const open = menu.hidden;
      closeMenus();
      if (open) { build(); menu.hidden = false; }
    });
    setInterval(renderClock, 10000);
  }

  async function advanceClock(minutes) {
    try {
      const result = await api("POST", "/sandbox/api/clock", { minutes });
      S.config.now = result.now;
      S.config.clock_offset_s = result.clock_offset_s;
      S.clockFetchedAt = Date.now();
      renderClock();
      toast(t("clock.moved", { span: fmtSpan(minutes * 60) }));
    } catch (error) {
      toast(errorText(error), { error: true });
    }
  }

  // ---------------------------------------------------------------- the guide

  function invitationCards({ forPerson = null } = {}) {
    const box = el("div");
    for (const inv of S.invitations) {
      const usable = inv.status === "usable";
      box.append(el("div", { class: `invitation-card${usable ? "" : " spent"}` },
        el("div", { class: "who" },
          el("div", { class: "who-name", text: t("invite.unit", { unit: inv.unit }) }),
          el("div", { class: "who-sub" }, el("span", { class: "code", text: inv.code }), "  ",
            t(`invite.status.${inv.status}`, { uses: inv.uses, max: inv.max_uses }))),
        usable ? el("button", {
          type: "button", class: "ghost small",
          onclick: async () => {
            closeGuide();
            if (forPerson) { await selectPerson(forPerson.id); await sendText("chat", `/start ${inv.payload}`); }
            else openDeepLink(inv.payload);
          },
        }, t("invite.open")) : null));
    }
    return box;
  }

  async function refreshInvitations() {
    try { S.invitations = await api("GET", "/sandbox/api/invitations"); } catch { S.invitations = []; }
  }

  function guideStep(n, title, text, ...actions) {
    return el("div", { class: "guide-step" },
      el("h3", {}, el("span", { class: "num", text: n }), title),
      el("p", { text }),
      actions.length ? el("div", { class: "guide-actions" }, actions) : null);
  }

  function actAs(p, label) {
    if (!p) return null;
    return el("button", { type: "button", class: "ghost small", onclick: () => { closeGuide(); selectPerson(p.id); } }, label || t("guide.chat_as", { name: p.name }));
  }

  /** A guard's phone camera on a checkpoint's QR: /start <payload> as the guard. */
  function scanButtons(checkpoints, guard) {
    if (!guard) return [];
    return checkpoints.map((c) => el("button", {
      type: "button", class: "ghost small",
      onclick: async () => { closeGuide(); await selectPerson(guard.id); await sendText("chat", `/start ${c.payload}`); },
    }, t("guide.scan", { name: c.name, guard: guard.name })));
  }

  function actInGroup(p) {
    if (!p) return null;
    return el("button", { type: "button", class: "ghost small", onclick: () => { closeGuide(); selectStaff(p.id); showPane("group-pane"); } }, t("guide.act_as", { name: p.name }));
  }

  async function openGuide() {
    await refreshInvitations();
    const residents = S.people.filter((p) => p.kind === "resident");
    const zh = residents.find((p) => p.language === "zh_Hans") || residents[0];
    const en = residents.find((p) => p.language === "en") || residents[0];
    const tech = S.people.find((p) => p.staff_role === "technician");
    const manager = S.people.find((p) => p.staff_role === "manager");
    const guard = S.people.find((p) => p.staff_role === "guard");
    let checkpoints = [];
    try { checkpoints = await api("GET", "/sandbox/api/checkpoints"); } catch { /* the step shows no buttons */ }
    const body = $("#guide-body");
    body.replaceChildren(
      el("p", { class: "guide-intro", text: t("guide.intro") }),
      guideStep(1, t("guide.join.title"), t("guide.join.text"), invitationCards()),
      guideStep(2, t("guide.repair.title"), t("guide.repair.text"), actAs(zh), actAs(en)),
      guideStep(3, t("guide.staff.title"), t("guide.staff.text"),
        tech ? el("button", { type: "button", class: "ghost small", onclick: () => { closeGuide(); selectStaff(tech.id); showPane("group-pane"); } }, t("guide.act_as", { name: tech.name })) : null),
      guideStep(4, t("guide.visitor.title"), t("guide.visitor.text"), actAs(en)),
      guideStep(5, t("guide.gate.title"), t("guide.gate.text"),
        el("button", { type: "button", class: "ghost small", onclick: () => { closeGuide(); showPane("gate-pane"); $("#code-entry").focus(); } }, t("guide.to_gate"))),
      guideStep(6, t("guide.bills.title"), t("guide.bills.text"), actAs(en)),
      guideStep(7, t("guide.notices.title"), t("guide.notices.text"), actAs(zh), actAs(en)),
      guideStep(8, t("guide.survey.title"), t("guide.survey.text"), actAs(zh), actAs(en),
        manager ? el("button", { type: "button", class: "ghost small", onclick: () => { closeGuide(); selectStaff(manager.id); showPane("group-pane"); } }, t("guide.act_as", { name: manager.name })) : null),
      guideStep(9, t("guide.events.title"), t("guide.events.text"), actAs(zh), actAs(en)),
      guideStep(10, t("guide.time.title"), t("guide.time.text"),
        el("button", { type: "button", class: "ghost small", onclick: () => advanceClock(60) }, t("clock.plus_1h")),
        el("button", { type: "button", class: "ghost small", onclick: () => advanceClock(1440) }, t("clock.plus_1d"))),
      guideStep(11, t("guide.cable.title"), t("guide.cable.text"),
        el("button", { type: "button", class: "ghost small", onclick: () => { closeGuide(); showPane("gate-pane"); } }, t("guide.to_gate"))),
      guideStep(12, t("guide.patrol.title"), t("guide.patrol.text"), ...scanButtons(checkpoints, guard)),
      guideStep(13, t("guide.office.title"), t("guide.office.text"), actInGroup(tech), actInGroup(manager), actAs(zh), actAs(en)),
      guideStep(14, t("guide.help.title"), t("guide.help.text"), actAs(en),
        el("button", { type: "button", class: "ghost small", onclick: () => { closeGuide(); showPane("gate-pane"); } }, t("guide.to_gate"))),
      guideStep(15, t("guide.walkin.title"), t("guide.walkin.text"),
        el("button", { type: "button", class: "ghost small", onclick: () => { closeGuide(); showPane("gate-pane"); const home = en && en.units && en.units[0]; if (home) $("#intercom-unit").value = home.label; $("#intercom-unit").focus(); } }, t("guide.to_gate")), actAs(en)),
      guideStep(16, t("guide.car.title"), t("guide.car.text"),
        el("button", { type: "button", class: "ghost small", onclick: toVehicleLane }, t("guide.to_gate"))),
    );
    $("#guide").hidden = false;
  }

  function closeGuide() { $("#guide").hidden = true; }
  $("#guide-button").addEventListener("click", () => ($("#guide").hidden ? openGuide() : closeGuide()));
  $("#guide-close").addEventListener("click", closeGuide);

  // --------------------------------------------------- panes on small screens

  function showPane(id) {
    for (const pane of $$(".pane")) pane.classList.toggle("active", pane.id === id);
    for (const tab of $$("#pane-tabs button")) tab.classList.toggle("active", tab.dataset.pane === id);
  }
  for (const tab of $$("#pane-tabs button")) tab.addEventListener("click", () => showPane(tab.dataset.pane));

  // -------------------------------------------------------------- re-render

  function rerenderAll() {
    renderPersonPicker();
    renderStaffPicker();
    renderChat();
    renderGroup();
    renderGatePicker();
    idleDisplay(true);
    renderClock();
    pollGate();
    if (!$("#guide").hidden) openGuide();
  }

  // ------------------------------------------------------------------- start

  async function main() {
    // The page speaks the community's language, unless the visitor chose one here.
    const chosen = store.get("locale_chosen") ? store.get("locale") : null;
    const browser = (navigator.language || "").toLowerCase().startsWith("zh") ? "zh_Hans" : "en";
    await setLocale(chosen || browser, { remember: false });  // for the loading screen
    for (const button of $$(".lang-switch button")) {
      button.addEventListener("click", () => setLocale(button.dataset.lang, { remember: true }));
    }

    S.config = await whenReady(() => api("GET", "/sandbox/api/config"));
    S.clockFetchedAt = Date.now();
    const own = S.config.community.locale === "en" ? "en" : "zh_Hans";
    if (!chosen && own !== I18N.locale) await setLocale(own, { remember: false });
    const since = S.config.last_event_seq;
    $("#community-name").textContent = S.config.community.name;
    $("#community-address").textContent = S.config.community.address;
    $("#bot-name").textContent = S.config.bot.name;

    await refreshPeople();
    await refreshInvitations();
    const pick = (saved, kind) => {
      const p = person(saved);
      if (p && (kind ? p.kind === kind : p.kind !== "staff")) return p.id;
      const first = S.people.find((x) => (kind ? x.kind === kind : x.kind === "resident"));
      return first ? first.id : null;
    };
    S.personId = pick(store.get("person"));
    S.staffId = pick(store.get("staff"), "staff");
    const savedGate = store.get("gate");
    S.gateId = S.config.gates.some((g) => g.id === savedGate) ? savedGate : S.config.gates[0]?.id ?? null;

    await Promise.all([loadChat(S.personId), loadChat(groupId()), refreshTopics()]);
    setupComposer("chat");
    setupComposer("group");
    setupGate();
    setupClock();
    connectEvents(since);
    document.body.classList.remove("loading");
    rerenderAll();
    refreshKeyboard(S.personId);
  }

  main().catch((error) => {
    document.body.classList.remove("loading");
    toast(errorText(error), { error: true, timeout: 60000 });
    console.error(error);
  });
})();
