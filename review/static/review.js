// chartdrop review desk: small vanilla JS, no build step. Text from the server is
// only ever placed with textContent (never innerHTML), so markup in it stays inert.
"use strict";

function csrfToken() {
  const field = document.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

function typing(event) {
  const tag = event.target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.target.isContentEditable;
}

// --- queue: j/k move, Enter open, a/r open the draft at its approve/reject controls
function setupQueue() {
  const table = document.getElementById("queue");
  if (!table) return;
  const rows = Array.from(table.querySelectorAll("tbody tr[data-href]"));
  if (!rows.length) return;
  let index = Math.max(0, rows.findIndex((r) => r.classList.contains("selected")));
  const select = (i) => {
    rows[index].classList.remove("selected");
    index = Math.min(rows.length - 1, Math.max(0, i));
    rows[index].classList.add("selected");
    rows[index].scrollIntoView({ block: "nearest" });
  };
  rows.forEach((row, i) => row.addEventListener("click", (e) => {
    if (e.target.tagName !== "A") { select(i); window.location.href = row.dataset.href; }
  }));
  document.addEventListener("keydown", (e) => {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const href = rows[index].dataset.href;
    if (e.key === "j") select(index + 1);
    else if (e.key === "k") select(index - 1);
    else if (e.key === "Enter") window.location.href = href;
    else if (e.key === "a") window.location.href = href + "#approve";
    else if (e.key === "r") window.location.href = href + "#reject";
    else return;
    e.preventDefault();
  });
}

// --- draft: audio words (click to seek, highlight the word being played)
function setupAudio() {
  const audio = document.getElementById("audio");
  const words = Array.from(document.querySelectorAll("#words .w"));
  if (!audio || !words.length) return;
  const starts = words.map((w) => parseFloat(w.dataset.start));
  let current = null;
  const highlight = (word) => {
    if (current === word) return;
    if (current) current.classList.remove("current");
    current = word;
    if (word) { word.classList.add("current"); word.scrollIntoView({ block: "nearest" }); }
  };
  const wordAt = (t) => {
    let lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= t + 0.01) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found >= 0 ? words[found] : null;
  };
  words.forEach((word) => word.addEventListener("click", () => {
    audio.currentTime = parseFloat(word.dataset.start);
    highlight(word);
    audio.play().catch(() => {});
  }));
  audio.addEventListener("timeupdate", () => highlight(wordAt(audio.currentTime)));
}

// --- draft: OCR word boxes over each page image
function setupPages(data) {
  document.querySelectorAll(".page").forEach((page) => {
    const img = page.querySelector("img");
    const layer = page.querySelector(".boxes");
    const boxes = (data.boxes || {})[page.dataset.page] || [];
    const draw = () => {
      layer.textContent = "";
      const w = img.naturalWidth, h = img.naturalHeight;
      if (!w || !h) return;
      for (const box of boxes) {
        const div = document.createElement("div");
        div.className = "box" + (box.low ? " low" : "");
        div.style.left = (100 * box.b[0] / w) + "%";
        div.style.top = (100 * box.b[1] / h) + "%";
        div.style.width = (100 * box.b[2] / w) + "%";
        div.style.height = (100 * box.b[3] / h) + "%";
        div.title = box.t + (box.c != null ? " (" + Math.round(box.c * 100) + "%)" : "");
        layer.appendChild(div);
      }
    };
    if (img.complete) draw(); else img.addEventListener("load", draw);
  });
}

// --- draft: evidence spans in the recognised text, on hover or click of a field
function setupEvidence(data) {
  const pre = document.getElementById("evidence-text");
  if (!pre) return;
  const text = data.text || "";
  const show = (row) => {
    document.querySelectorAll("tr.field.active").forEach((r) => r.classList.remove("active"));
    pre.textContent = "";
    const start = parseInt(row && row.dataset.start, 10), end = parseInt(row && row.dataset.end, 10);
    if (isNaN(start) || isNaN(end) || end <= start) { pre.textContent = text; return; }
    row.classList.add("active");
    const mark = document.createElement("mark");
    mark.textContent = text.slice(start, end);
    pre.append(text.slice(0, start), mark, text.slice(end));
    mark.scrollIntoView({ block: "nearest" });
  };
  document.querySelectorAll("tr.field").forEach((row) => {
    row.addEventListener("mouseenter", () => show(row));
    row.addEventListener("focusin", () => show(row));
    const button = row.querySelector(".evidence-btn");
    if (button) button.addEventListener("click", () => show(row));
  });
}

// --- draft: ICD-10-CM search feeding a problem's code field
function setupCodeSearch() {
  document.querySelectorAll(".code-form").forEach((form) => {
    const search = form.querySelector(".code-search");
    const results = form.querySelector(".code-results");
    const input = form.querySelector(".code-input");
    if (!search) return;
    let timer = null, seq = 0;
    const run = async () => {
      const mine = ++seq;
      const q = search.value.trim();
      if (q.length < 2) { results.textContent = ""; return; }
      const response = await fetch("/api/codes/search", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ q }),
      });
      if (!response.ok || mine !== seq) return;
      const payload = await response.json();
      results.textContent = "";
      for (const hit of payload.results) {
        const li = document.createElement("li");
        const code = document.createElement("span");
        code.className = "code";
        code.textContent = hit.code;
        li.append(code, " " + hit.description);
        li.dataset.code = hit.code;
        li.addEventListener("click", () => { input.value = hit.code; results.textContent = ""; input.focus(); });
        results.appendChild(li);
      }
    };
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 200); });
    search.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); clearTimeout(timer); run(); } });
  });
}

// --- draft: a focuses Approve, r the rejection reason (also via #approve / #reject)
function setupDraftKeys() {
  const approve = document.getElementById("approve");
  const reason = document.getElementById("reject-reason");
  if (!approve) return;
  const go = (what) => {
    const el = what === "approve" ? approve : reason;
    el.scrollIntoView({ block: "center" });
    el.focus();
  };
  if (location.hash === "#approve" || location.hash === "#reject") go(location.hash.slice(1));
  document.addEventListener("keydown", (e) => {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "a") { go("approve"); e.preventDefault(); }
    else if (e.key === "r") { go("reject"); e.preventDefault(); }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const dataNode = document.getElementById("draft-data");
  const data = dataNode ? JSON.parse(dataNode.textContent) : {};
  setupQueue();
  setupAudio();
  setupPages(data);
  setupEvidence(data);
  setupCodeSearch();
  setupDraftKeys();
});
