// The planning board: a dispatcher's timeline. Plain JavaScript, no build step.
// Drag a block to another time or technician, drag its right edge to change its length, drag
// a card from the unplanned pane onto a row at a time. The server runs the planning check
// before it writes: an error comes back with its reason (the block stays where it was),
// warnings as a question ("plan anyway?"); a move that is done comes back with the rows it
// changed, redrawn, and they replace the old ones: no reload. Undo takes back the last move.
"use strict";
(function () {
  const SLOT = 15; // minutes: the grid a drop snaps to
  const RESIZE_EDGE = 7; // px: a block's right edge drags its end
  let board, scroll, rowsBox, statusBox, undoButton;
  let lastUndo = null;

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }
  function $$(selector, root) {
    return Array.from((root || document).querySelectorAll(selector));
  }
  function csrf() {
    const input = $("[name=csrfmiddlewaretoken]", board);
    return input ? input.value : "";
  }
  function pad(n) {
    return String(n).padStart(2, "0");
  }
  function clock(minutes) {
    return pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
  }
  function axis() {
    const from = Number(board.dataset.hourFrom) * 60;
    const to = Number(board.dataset.hourTo) * 60;
    return { from: from, to: to, span: to - from };
  }
  function minutesOf(local) {
    // "YYYY-MM-DDTHH:MM" -> minutes of its day
    const time = local.split("T")[1];
    return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
  }
  function dayLabel(day) {
    const d = new Date(day + "T12:00:00");
    return d.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short" });
  }

  // --- status line: what happened, or the question before a move -------------------------
  function say(message, kind, actions) {
    statusBox.className = "bd-status" + (kind ? " bd-" + kind : "");
    statusBox.textContent = message || "";
    (actions || []).forEach(function (action) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "bd-btn";
      button.textContent = action.label;
      button.id = action.id || "";
      button.addEventListener("click", action.run);
      statusBox.appendChild(button);
    });
  }

  // --- writes ------------------------------------------------------------------------------
  function post(url, fields) {
    const body = new FormData();
    Object.keys(fields).forEach(function (key) {
      if (fields[key] !== undefined && fields[key] !== null) {
        body.append(key, fields[key]);
      }
    });
    body.append("view", board.dataset.view);
    body.append("date", board.dataset.date);
    body.append("hour_from", board.dataset.hourFrom);
    body.append("hour_to", board.dataset.hourTo);
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf() },
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return { ok: false, message: "The server did not answer (" + response.status + ")." };
        })
        .then(function (answer) {
          answer.status = response.status;
          return answer;
        });
    });
  }

  // Send a move; a question (409) is asked in the status line, and "Plan anyway" sends it
  // again with plan_anyway. Resolves with the answer once done, refused or left alone.
  function send(url, fields, onDone) {
    board.classList.add("bd-busy");
    return post(url, fields).then(function (answer) {
      board.classList.remove("bd-busy");
      if (answer.ok) {
        replaceRows(answer.rows || {});
        say(answer.message, answer.warnings && answer.warnings.length ? "warn" : "ok");
        if (onDone) {
          onDone(answer);
        }
      } else if (answer.confirm) {
        say(answer.message, "warn", [
          {
            label: "Plan anyway",
            id: "board-plan-anyway",
            run: function () {
              fields.plan_anyway = "1";
              send(url, fields, onDone);
            },
          },
          {
            label: "Cancel",
            id: "board-cancel",
            run: function () {
              say("Left as it was.", "");
            },
          },
        ]);
      } else {
        say(answer.message || "Refused.", "error");
      }
      return answer;
    });
  }

  function remember(undo) {
    lastUndo = undo || null;
    undoButton.disabled = !lastUndo;
  }

  function undo() {
    if (!lastUndo) {
      return;
    }
    const step = lastUndo;
    remember(null);
    if (step.kind === "move") {
      send(board.dataset.moveUrl, {
        planning: step.planning,
        technician: step.technician,
        start: step.start,
        end: step.end,
        plan_anyway: "1", // it was there before: back where it was, warnings and all
      });
    } else if (step.kind === "unplan") {
      send(board.dataset.undoUrl, { work_order: step.work_order, status: step.status }, function () {
        searchPane();
      });
    }
  }

  function replaceRows(rows) {
    Object.keys(rows).forEach(function (id) {
      const old = $('.bd-row[data-technician="' + id + '"]', rowsBox);
      if (old) {
        const holder = document.createElement("div");
        holder.innerHTML = rows[id].trim();
        old.replaceWith(holder.firstElementChild);
      }
    });
    summarize();
  }

  // What board_slots.js plans a ghost slot with, as a dropped card is planned.
  window.jobsiteBoard = { post: post, replaceRows: replaceRows, say: say, remember: remember };

  // --- totals and warnings, from the rows on the page --------------------------------------
  function hours(minutes) {
    return (Math.round(minutes / 6) / 10).toString();
  }
  function summarize() {
    let booked = 0;
    let available = 0;
    $$(".bd-row", rowsBox).forEach(function (row) {
      booked += Number(row.dataset.booked || 0);
      available += Number(row.dataset.available || 0);
    });
    const share = available ? Math.round((booked * 100) / available) : 0;
    $("#board-totals").textContent =
      "Booked " + hours(booked) + " h of " + hours(available) + " h (" + share + "%)";
    const warned = $$(".bd-block.bd-warned", rowsBox);
    const button = $("#board-warnings");
    button.hidden = warned.length === 0;
    button.textContent =
      "⚠ " + warned.length + " planning" + (warned.length === 1 ? "" : "s") + " with a warning";
    const list = $("#board-warning-list");
    if (!list.hidden) {
      fillWarnings(list, warned);
    }
    if (!warned.length) {
      list.hidden = true;
    }
  }
  function fillWarnings(list, warned) {
    const ul = document.createElement("ul");
    warned.forEach(function (block) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = "#";
      const row = block.closest(".bd-row");
      link.textContent = "#" + block.dataset.number;
      link.addEventListener("click", function (event) {
        event.preventDefault();
        block.scrollIntoView({ block: "center", inline: "center" });
        block.focus();
      });
      li.appendChild(link);
      li.appendChild(
        document.createTextNode(
          row.dataset.name + ", " + block.dataset.start.replace("T", " ") + ": " + block.dataset.warnings
        )
      );
      ul.appendChild(li);
    });
    list.querySelector("ul").replaceWith(ul);
  }
  function toggleWarnings() {
    const list = $("#board-warning-list");
    list.hidden = !list.hidden;
    $("#board-warnings").setAttribute("aria-expanded", String(!list.hidden));
    if (!list.hidden) {
      fillWarnings(list, $$(".bd-block.bd-warned", rowsBox));
    }
  }

  // --- dragging ----------------------------------------------------------------------------
  // One drag at a time: a block (move), a block's edge (resize) or a card (plan).
  let drag = null;

  function pointAt(x, y) {
    const el = document.elementFromPoint(x, y);
    const day = el && el.closest(".bd-row .bd-day");
    if (!day) {
      return null;
    }
    const rect = day.getBoundingClientRect();
    const a = axis();
    const ratio = Math.min(Math.max((x - rect.left) / rect.width, 0), 1);
    return { day: day, row: day.closest(".bd-row"), minutes: a.from + ratio * a.span };
  }

  function snap(minutes) {
    return Math.round(minutes / SLOT) * SLOT;
  }

  function awayThen(row, day, left, right) {
    // An absence or a holiday under the drop: shaded in % of the same day's axis.
    const cell = $('.bd-day[data-day="' + day + '"]', row);
    return $$(".bd-shade-away, .bd-shade-holiday", cell || row).some(function (shade) {
      const a = parseFloat(shade.style.left);
      const b = a + parseFloat(shade.style.width);
      return a < right && b > left;
    });
  }

  function dimRows(skill, target) {
    $$(".bd-row", rowsBox).forEach(function (row) {
      const skills = (row.dataset.skills || "").split(" ");
      let dim = Boolean(skill) && skills.indexOf(skill) < 0;
      if (!dim && target) {
        dim = awayThen(row, target.day, target.left, target.right);
      }
      row.classList.toggle("bd-dim", dim);
    });
  }

  function startDrag(event, kind, item) {
    if (event.button !== 0 || board.dataset.canPlan !== "1") {
      return;
    }
    const grabbed = { x: event.clientX, y: event.clientY };
    let offset = 0;
    if (kind === "move") {
      const rect = item.getBoundingClientRect();
      const dayRect = item.parentElement.getBoundingClientRect();
      offset = ((event.clientX - rect.left) / dayRect.width) * axis().span;
    }
    drag = {
      kind: kind,
      item: item,
      grabbed: grabbed,
      offset: offset,
      minutes: Number(item.dataset.minutes || 60),
      skill: item.dataset.skill || "",
      started: false,
    };
    event.preventDefault();
  }

  function beginVisuals() {
    drag.started = true;
    document.body.classList.add("bd-dragging");
    if (drag.kind !== "resize") {
      drag.ghost = document.createElement("div");
      drag.ghost.className = "bd-ghost";
      document.body.appendChild(drag.ghost);
      drag.item.classList.add("bd-moving");
    }
    dimRows(drag.skill, null);
  }

  function onMove(event) {
    if (!drag) {
      return;
    }
    if (!drag.started) {
      if (Math.abs(event.clientX - drag.grabbed.x) + Math.abs(event.clientY - drag.grabbed.y) < 4) {
        return;
      }
      beginVisuals();
    }
    const a = axis();
    if (drag.kind === "resize") {
      const block = drag.item;
      const dayRect = block.parentElement.getBoundingClientRect();
      const startMin = minutesOf(block.dataset.start);
      const ratio = (event.clientX - dayRect.left) / dayRect.width;
      let end = snap(a.from + ratio * a.span);
      end = Math.max(end, startMin + SLOT);
      end = Math.min(end, a.to);
      drag.end = end;
      block.style.width = ((end - Math.max(startMin, a.from)) * 100) / a.span + "%";
      say("Until " + clock(end) + " (" + (end - startMin) + " min)", "");
      return;
    }
    drag.ghost.style.left = event.clientX + 12 + "px";
    drag.ghost.style.top = event.clientY + 12 + "px";
    const at = pointAt(event.clientX, event.clientY);
    const indicator = drag.indicator;
    if (!at) {
      drag.target = null;
      if (indicator) {
        indicator.remove();
        drag.indicator = null;
      }
      drag.ghost.textContent = "#" + drag.item.dataset.number + " — drop on a technician's row";
      return;
    }
    let start = snap(at.minutes - drag.offset);
    start = Math.min(Math.max(start, a.from), a.to - SLOT);
    const left = ((start - a.from) * 100) / a.span;
    const width = Math.max((drag.minutes * 100) / a.span, 0.8);
    drag.target = {
      row: at.row,
      day: at.day.dataset.day,
      start: start,
      left: left,
      right: left + width,
    };
    if (!drag.indicator) {
      drag.indicator = document.createElement("div");
      drag.indicator.className = "bd-drop";
    }
    if (drag.indicator.parentElement !== at.day) {
      at.day.appendChild(drag.indicator);
    }
    drag.indicator.style.left = left + "%";
    drag.indicator.style.width = Math.min(width, 100 - left) + "%";
    drag.ghost.textContent =
      "#" + drag.item.dataset.number + " → " + at.row.dataset.name + ", " + dayLabel(drag.target.day) + " " + clock(start);
    dimRows(drag.skill, drag.target);
  }

  function endVisuals(done) {
    document.body.classList.remove("bd-dragging");
    if (done.ghost) {
      done.ghost.remove();
    }
    if (done.indicator) {
      done.indicator.remove();
    }
    done.item.classList.remove("bd-moving");
    $$(".bd-row.bd-dim", rowsBox).forEach(function (row) {
      row.classList.remove("bd-dim");
    });
  }

  function onUp() {
    if (!drag) {
      return;
    }
    const done = drag;
    drag = null;
    if (!done.started) {
      return;
    }
    endVisuals(done);
    const item = done.item;
    if (done.kind === "resize") {
      if (done.end === undefined) {
        return;
      }
      const day = item.dataset.start.split("T")[0];
      const original = item.style.width;
      send(
        board.dataset.moveUrl,
        {
          planning: item.dataset.planning,
          technician: item.closest(".bd-row").dataset.technician,
          start: item.dataset.start,
          end: day + "T" + clock(done.end),
        },
        function (answer) {
          remember(answer.undo);
        }
      ).then(function (answer) {
        if (!answer.ok && item.isConnected) {
          item.style.width = original; // refused or not confirmed (yet): back as it was
        }
      });
      return;
    }
    if (!done.target) {
      return;
    }
    const t = done.target;
    const fields = {
      technician: t.row.dataset.technician,
      start: t.day + "T" + clock(t.start),
    };
    if (done.kind === "move") {
      fields.planning = item.dataset.planning;
      send(board.dataset.moveUrl, fields, function (answer) {
        remember(answer.undo);
      });
    } else {
      fields.work_order = item.dataset.workOrder;
      send(board.dataset.planUrl, fields, function (answer) {
        remember(answer.undo);
        if (item.isConnected) {
          item.remove();
        }
      });
    }
  }

  // --- the unplanned pane -------------------------------------------------------------------
  let searchTimer = null;
  let searchSerial = 0;

  function paneUrl(extra) {
    const params = new URLSearchParams(extra || "");
    if (board.dataset.org) {
      params.set("org", board.dataset.org);
    }
    return board.dataset.unplannedUrl + "?" + params.toString();
  }

  function loadPane() {
    return fetch(paneUrl("filters=1"), { credentials: "same-origin" })
      .then(function (r) {
        return r.text();
      })
      .then(function (html) {
        const pane = $("#board-pane");
        pane.innerHTML = html;
        const form = $("#board-search", pane);
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          searchPane();
        });
        form.addEventListener("input", function () {
          clearTimeout(searchTimer);
          searchTimer = setTimeout(searchPane, 250);
        });
        form.addEventListener("change", searchPane);
        watchMore();
      });
  }

  function searchPane() {
    const form = $("#board-search");
    if (!form) {
      return;
    }
    const serial = ++searchSerial;
    const params = new URLSearchParams(new FormData(form));
    fetch(paneUrl(params.toString()), { credentials: "same-origin" })
      .then(function (r) {
        return r.text();
      })
      .then(function (html) {
        if (serial !== searchSerial) {
          return; // a later search answered first
        }
        const cards = $("#board-cards");
        cards.innerHTML = html;
        cards.scrollTop = 0;
        watchMore();
      });
  }

  let moreObserver = null;
  function watchMore() {
    const more = $("#board-cards .bd-more");
    if (!more) {
      return;
    }
    if (moreObserver) {
      moreObserver.disconnect();
    }
    moreObserver = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) {
        loadMore(more);
      }
    }, { root: $("#board-cards") });
    moreObserver.observe(more);
  }

  function loadMore(more) {
    if (more.dataset.loading) {
      return;
    }
    more.dataset.loading = "1";
    fetch(board.dataset.unplannedUrl + more.dataset.more, { credentials: "same-origin" })
      .then(function (r) {
        return r.text();
      })
      .then(function (html) {
        const holder = document.createElement("ul");
        holder.innerHTML = html;
        more.replaceWith.apply(more, Array.from(holder.children));
        watchMore();
      });
  }

  function hover(block) {
    const start = minutesOf(block.dataset.start);
    const end = start + Number(block.dataset.minutes);
    let text = block.querySelector(".bd-block-label").textContent + "\n";
    text += dayLabel(block.dataset.start.split("T")[0]) + " " + clock(start) + "–" + clock(end % 1440);
    text += " · " + block.dataset.status;
    if (block.dataset.warnings) {
      text += "\n⚠ " + block.dataset.warnings;
    }
    return text;
  }

  // --- keyboard -----------------------------------------------------------------------------
  function typing(target) {
    return target.closest("input, select, textarea, [contenteditable]");
  }

  function onKey(event) {
    if (event.altKey || event.metaKey) {
      return;
    }
    if (event.ctrlKey) {
      if (event.key === "z" && !typing(event.target)) {
        event.preventDefault();
        undo();
      }
      return;
    }
    if (event.key === "Enter") {
      const item = event.target.closest(".bd-card, .bd-block");
      if (item && !event.target.closest("a, button")) {
        // A card's links ("#123", "Find a slot") do what they say on Enter.
        event.preventDefault();
        open(item);
      }
      return;
    }
    if (typing(event.target)) {
      return;
    }
    const go = {
      ArrowLeft: board.dataset.prev,
      ArrowRight: board.dataset.next,
      t: board.dataset.todayLink,
      T: board.dataset.todayLink,
      d: board.dataset.dayLink,
      D: board.dataset.dayLink,
      w: board.dataset.weekLink,
      W: board.dataset.weekLink,
    }[event.key];
    if (go) {
      event.preventDefault();
      window.location.assign(go);
    }
  }

  function open(item) {
    // The work order's change page: beside the board's URL, /workorder/<id>/change/.
    const base = board.dataset.planUrl.replace(/board\/plan\/$/, "");
    window.location.assign(item.dataset.href || base + item.dataset.workOrder + "/change/");
  }

  // --- wiring -------------------------------------------------------------------------------
  function fit() {
    board.style.setProperty("--bd-top", board.getBoundingClientRect().top + window.scrollY + 8 + "px");
  }

  document.addEventListener("DOMContentLoaded", function () {
    board = $(".bd");
    if (!board) {
      return;
    }
    scroll = $("#board-scroll");
    rowsBox = $("#board-rows");
    statusBox = $("#board-status");
    undoButton = $("#board-undo");
    fit();
    window.addEventListener("resize", fit);
    summarize();
    loadPane();
    undoButton.addEventListener("click", undo);
    $("#board-warnings").addEventListener("click", toggleWarnings);
    $("#board-date").addEventListener("change", function (event) {
      if (event.target.value) {
        const params = new URLSearchParams(window.location.search);
        params.set("date", event.target.value);
        params.set("view", board.dataset.view);
        window.location.assign("?" + params.toString());
      }
    });
    document.addEventListener("keydown", onKey);
    board.addEventListener("pointerdown", function (event) {
      // A card's or block's link drags it too (a click without a move still opens it).
      if (event.target.closest("button, input, select, a:not(.bd-card a)")) {
        return;
      }
      const resizable = event.target.closest(".bd-block.bd-rs");
      if (resizable && event.clientX > resizable.getBoundingClientRect().right - RESIZE_EDGE) {
        startDrag(event, "resize", resizable);
        return;
      }
      const block = event.target.closest(".bd-block:not(.bd-fixed)");
      if (block) {
        startDrag(event, "move", block);
        return;
      }
      const card = event.target.closest(".bd-card");
      if (card) {
        startDrag(event, "plan", card);
      }
    });
    // A block's hover text, put together when first needed (the page carries thousands).
    board.addEventListener("mouseover", function (event) {
      const block = event.target.closest(".bd-block");
      if (block && !block.title) {
        block.title = hover(block);
      }
    });
    board.addEventListener("dblclick", function (event) {
      const item = event.target.closest(".bd-card, .bd-block");
      if (item) {
        open(item);
      }
    });
    document.addEventListener("pointermove", onMove);
    document.addEventListener("pointerup", onUp);
    // Where the day starts: a day view opens scrolled to the working hours, the week at the top.
    if (scroll && board.dataset.view === "day") {
      scroll.scrollLeft = 0;
    }
  });
})();
