"use strict";
// Bizbot web chat: one WebSocket; messages are kept until the server acknowledges them.
(function () {
  const strings = JSON.parse(document.getElementById("strings").textContent);
  const list = document.getElementById("messages");
  const input = document.getElementById("text");
  const statusLine = document.getElementById("status");
  const pending = new Map(); // client id -> frame, until acked
  const SIGNED_OUT = 4401; // close code: the session is over (routes.SIGNED_OUT)
  let socket = null;
  let backoff = 500;
  let early = null; // message/update frames that came before this connection's history
  let oldest = ""; // the cursor of the oldest line shown: older lines load when scrolled to the top
  let loadingOlder = false;
  const rooms = new Map(); // room conversation -> its title (a deal room the member is in)

  function newId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function drawCard(message) {
    const card = el("div", "card " + message.status);
    card.appendChild(el("h3", "", message.title));
    if (message.body) card.appendChild(el("div", "body", message.body));
    if (message.fields.length) {
      const dl = el("dl");
      for (const [label, value] of message.fields) {
        dl.appendChild(el("dt", "", label));
        dl.appendChild(el("dd", "", value));
      }
      card.appendChild(dl);
    }
    if (message.buttons.length) {
      const row = el("div", "buttons");
      for (const [label, token, style] of message.buttons) {
        const button = el("button", style, label);
        button.type = "button";
        button.addEventListener("click", () => tap(token, button));
        row.appendChild(button);
      }
      card.appendChild(row);
    }
    if (message.footer) card.appendChild(el("div", "footer", message.footer));
    return card;
  }

  // A message's files: pictures shown, every file a link to its download (members only).
  function drawFiles(files) {
    const box = el("div", "files");
    for (const file of files) {
      const href = "/files/" + encodeURIComponent(file.id) + "/" + encodeURIComponent(file.name);
      if (String(file.type).startsWith("image/")) {
        const img = el("img");
        img.src = href;
        img.alt = file.name;
        box.appendChild(img);
      }
      const link = el("a", "file", "📎 " + file.name);
      link.href = href;
      link.download = file.name;
      box.appendChild(link);
    }
    return box;
  }

  // A room's message (room: its conversation) is labelled with the room's title: typing still
  // talks to the bot directly, the room only shows what the flow says there.
  function drawMessage(id, author, message, room) {
    const wrap = el("div", "msg " + author + (message.type === "text" ? " text" : "") + (room ? " room" : ""));
    wrap.dataset.id = id;
    if (room) wrap.appendChild(el("div", "room-title", rooms.get(room) || room));
    if (message.type === "text") wrap.appendChild(document.createTextNode(message.text));
    else wrap.appendChild(drawCard(message));
    if (message.files && message.files.length) wrap.appendChild(drawFiles(message.files));
    return wrap;
  }

  function append(node) {
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.appendChild(node);
    if (atBottom || node.classList.contains("member")) list.scrollTop = list.scrollHeight;
  }

  function replace(id, message, room) {
    const old = list.querySelector('[data-id="' + CSS.escape(id) + '"]');
    const node = drawMessage(id, "bot", message, room);
    if (!old) return append(node);
    old.replaceWith(node);
    const card = node.querySelector(".card");
    if (card) card.classList.add("updated");
  }

  function transmit(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function say(text) {
    const frame = { type: "say", id: newId(), text: text };
    pending.set(frame.id, frame);
    const bubble = drawMessage(frame.id, "member", { type: "text", text: text });
    bubble.classList.add("pending");
    append(bubble);
    transmit(frame);
  }

  // A file (a receipt) with the typed text as its caption: POST /api/files, the page's own header
  // marking it as sent from this page. The bubble shows once the server has stored it.
  async function sendFile(file) {
    const caption = input.value.trim();
    const form = new FormData();
    const id = newId();
    form.append("id", id);
    form.append("text", caption);
    form.append("file", file, file.name);
    const answer = await fetch("/api/files", {
      method: "POST",
      body: form,
      headers: { "X-Bizbot-Upload": "1" },
      credentials: "same-origin",
    }).catch(() => null);
    const reply = answer ? await answer.json().catch(() => ({})) : {};
    if (!answer || !answer.ok) {
      statusLine.textContent = reply.error || strings.not_saved;
      return;
    }
    input.value = "";
    const bubble = drawMessage(id, "member", { type: "text", text: caption });
    bubble.appendChild(el("div", "files", "📎 " + file.name));
    append(bubble);
  }

  function tap(token, button) {
    const frame = { type: "tap", id: newId(), token: token };
    button.disabled = true;
    pending.set(frame.id, Object.assign({ button: button }, frame));
    transmit(frame);
  }

  function acknowledged(frame) {
    const sent = pending.get(frame.id);
    pending.delete(frame.id);
    if (sent && sent.button) sent.button.disabled = false;
    const bubble = list.querySelector('[data-id="' + CSS.escape(frame.id || "") + '"]');
    if (bubble) bubble.classList.remove("pending", "failed");
  }

  function failed(frame) {
    const bubble = frame.id && list.querySelector('[data-id="' + CSS.escape(frame.id) + '"]');
    if (bubble) { bubble.classList.add("failed"); bubble.title = frame.error; }
    if (!frame.retry) {
      const sent = pending.get(frame.id);
      if (sent && sent.button) sent.button.disabled = false;
      pending.delete(frame.id);
      append(drawMessage(newId(), "bot", { type: "text", text: frame.error }));
    }
  }

  // The member's own chat and their rooms' last lines, by time; older lines load for their own
  // chat only.
  function showHistory(lines, joined) {
    list.textContent = "";
    for (const room of joined || []) rooms.set(room.room, room.title);
    const own = lines.filter((line) => !line.room);
    oldest = own.length ? own[0].cursor : "";
    for (const line of lines) append(drawMessage(line.id, line.author, line.message, line.room));
    for (const frame of pending.values()) {
      if (frame.type !== "say") continue;
      const bubble = drawMessage(frame.id, "member", { type: "text", text: frame.text });
      bubble.classList.add("pending");
      append(bubble);
    }
    list.scrollTop = list.scrollHeight;
  }

  // Scrolled to the top: fetch the page before the oldest line shown and put it above,
  // keeping what the member was looking at where it was. An empty page means the beginning.
  function loadOlder() {
    if (loadingOlder || !oldest || list.scrollTop > 40) return;
    loadingOlder = true;
    const cursor = oldest;
    fetch("/api/history?before=" + encodeURIComponent(cursor), { credentials: "same-origin", cache: "no-store" })
      .then((answer) => (answer.ok ? answer.json() : { lines: [] }))
      .then((page) => {
        if (cursor !== oldest) return; // the history was shown anew meanwhile
        oldest = page.lines.length ? page.lines[0].cursor : "";
        const height = list.scrollHeight;
        const first = list.firstChild;
        for (const line of page.lines) {
          if (list.querySelector('[data-id="' + CSS.escape(line.id) + '"]')) continue;
          list.insertBefore(drawMessage(line.id, line.author, line.message), first);
        }
        list.scrollTop += list.scrollHeight - height;
      })
      .catch(() => {}) // offline: the next scroll tries again
      .finally(() => { loadingOlder = false; });
  }

  function show(frame) {
    if (frame.room && frame.title) rooms.set(frame.room, frame.title);
    if (frame.type === "update") replace(frame.id, frame.message, frame.room);
    else if (!list.querySelector('[data-id="' + CSS.escape(frame.id) + '"]')) {
      append(drawMessage(frame.id, frame.author, frame.message, frame.room));
    }
  }

  function receive(event) {
    const frame = JSON.parse(event.data);
    if (frame.type === "history") {
      // The server joins us to the conversation before it reads the history, so a reply can
      // arrive first; it is shown after the history (which clears the list), unless already in it.
      showHistory(frame.lines, frame.rooms);
      const held = early || [];
      early = null;
      held.forEach(show);
    } else if (frame.type === "message" || frame.type === "update") {
      if (early) early.push(frame);
      else show(frame);
    } else if (frame.type === "room") rooms.set(frame.room, frame.title);
    else if (frame.type === "ack") acknowledged(frame);
    else if (frame.type === "error") failed(frame);
  }

  function signIn() {
    location.assign("/login");
  }

  // A socket refused for want of a session fails like any other (the page never sees the 401),
  // so ask the API before trying again: signed out goes to the login page, not round in circles.
  function reconnect() {
    fetch("/api/history", { credentials: "same-origin", cache: "no-store" })
      .then((answer) => (answer.status === 401 ? signIn() : connect()))
      .catch(connect); // the server is unreachable: keep trying, with backoff
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    early = [];
    socket = new WebSocket(scheme + location.host + "/ws");
    socket.addEventListener("open", () => {
      backoff = 500;
      statusLine.textContent = strings.connected;
      for (const frame of pending.values()) transmit({ type: frame.type, id: frame.id, text: frame.text, token: frame.token });
    });
    socket.addEventListener("message", receive);
    socket.addEventListener("close", (event) => {
      if (event.code === SIGNED_OUT) return signIn();
      statusLine.textContent = strings.reconnecting;
      setTimeout(reconnect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    });
  }

  list.addEventListener("scroll", loadOlder);
  const picker = document.getElementById("file");
  picker.addEventListener("change", () => {
    if (picker.files.length) sendFile(picker.files[0]);
    picker.value = "";
  });
  document.getElementById("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    say(text);
  });
  connect();
})();
