/* "Find a slot" on the planning board (workorders/board_slots.py, board_slots.html).
   A click on a card's "Find a slot" (a link to the Find-a-slot page without JavaScript) asks
   the board for the work order's best slots in the period shown and draws them as numbered
   ghosts in the technicians' rows, with a strip naming them and listing those the rows cannot
   show. One click on a ghost plans the work order there through the board's plan, as a card
   dropped there (board.js: the rows it changed are redrawn, the card leaves the pane, undo);
   a slot taken since says why and goes away. Close or Escape takes the slots away. */
(function () {
  "use strict";

  let board, rowsBox;
  let shown = null; // { workOrder, number, strip, ghosts, lanes: Map(row -> its --lanes) }
  let serial = 0;

  function api() {
    return window.jobsiteBoard;
  }

  function dayLabel(day) {
    const d = new Date(day + "T12:00:00");
    return d.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short" });
  }

  function when(slot) {
    return dayLabel(slot.day) + " " + slot.start.slice(11) + "–" + slot.end.slice(11);
  }

  // The board's period and axis, so the slots' places match the rows on the page.
  function query(workOrder) {
    const params = new URLSearchParams(window.location.search);
    params.delete("slots");
    params.set("work_order", workOrder);
    params.set("view", board.dataset.view);
    params.set("date", board.dataset.date);
    params.set("hour_from", board.dataset.hourFrom);
    params.set("hour_to", board.dataset.hourTo);
    if (board.dataset.org) {
      params.set("org", board.dataset.org);
    }
    return board.dataset.slotsUrl + "?" + params.toString();
  }

  function close() {
    serial += 1; // an answer still on its way is not shown
    if (!shown) {
      return;
    }
    shown.ghosts.forEach(function (ghost) {
      ghost.remove();
    });
    shown.lanes.forEach(function (lanes, row) {
      row.style.setProperty("--lanes", lanes);
    });
    shown.strip.remove();
    document.querySelectorAll(".bd-card-slots").forEach(function (card) {
      card.classList.remove("bd-card-slots");
    });
    shown = null;
  }

  function find(workOrder) {
    close();
    const mine = serial;
    api().say("Finding slots…", "");
    fetch(query(workOrder), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (answer) {
          answer.status = response.status;
          return answer;
        });
      })
      .then(function (answer) {
        if (mine !== serial) {
          return;
        }
        if (answer.status !== 200) {
          api().say(answer.message || "No slots (" + answer.status + ").", "error");
          return;
        }
        show(answer);
      })
      .catch(function () {
        if (mine === serial) {
          api().say("The server did not answer.", "error");
        }
      });
  }

  function show(answer) {
    const holder = document.createElement("div");
    holder.innerHTML = answer.strip.trim();
    const strip = holder.firstElementChild;
    document.getElementById("board-status").before(strip);
    shown = { workOrder: answer.work_order, strip: strip, ghosts: [], lanes: new Map() };
    answer.slots.forEach(function (slot) {
      const ghost = slot.in_period ? place(slot, answer.work_order) : null;
      if (ghost) {
        shown.ghosts.push(ghost);
      } else {
        const item = strip.querySelector('li[data-rank="' + slot.rank + '"]');
        if (item) {
          item.hidden = false; // not on the board: listed, with a link to its week
        }
      }
    });
    strip.querySelector("#board-slots-close").addEventListener("click", close);
    const card = document.querySelector('#board-pane .bd-card[data-work-order="' + answer.work_order.id + '"]');
    if (card) {
      card.classList.add("bd-card-slots");
    }
    const count = shown.ghosts.length;
    api().say(count ? count + " slot" + (count === 1 ? "" : "s") + " on the board." : "", "");
    if (shown.ghosts.length) {
      shown.ghosts[0].scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }

  // The first lane of the day where neither a block nor another slot is at that time.
  function laneFor(day, left, right) {
    const taken = Array.from(day.querySelectorAll(".bd-block, .bd-slot")).map(function (item) {
      const a = parseFloat(item.style.left);
      return {
        a: a,
        b: a + parseFloat(item.style.width),
        lane: Number(item.style.getPropertyValue("--lane") || 0),
      };
    });
    let lane = 0;
    while (taken.some(function (t) { return t.lane === lane && t.a < right && left < t.b; })) {
      lane += 1;
    }
    return lane;
  }

  function place(slot, workOrder) {
    const row = rowsBox.querySelector('.bd-row[data-technician="' + slot.technician_id + '"]');
    const day = row && row.querySelector('.bd-day[data-day="' + slot.day + '"]');
    if (!day) {
      return null;
    }
    const ghost = document.createElement("button");
    ghost.type = "button";
    ghost.className = "bd-proposed bd-slot";
    ghost.dataset.rank = String(slot.rank);
    ghost.dataset.technician = slot.technician_id;
    ghost.dataset.start = slot.start;
    ghost.dataset.workOrder = workOrder.id;
    const lane = laneFor(day, slot.left, slot.left + slot.width);
    ghost.style.left = slot.left + "%";
    ghost.style.width = Math.min(slot.width, 100 - slot.left) + "%";
    ghost.style.setProperty("--lane", String(lane));
    const planning = board.dataset.canPlan === "1";
    ghost.disabled = !planning;
    ghost.title =
      "Slot " + slot.rank + " for #" + workOrder.number + " " + workOrder.name + ": " +
      slot.technician + ", " + when(slot) + "\nScore " + slot.score + ": " + slot.reasons.join("; ") +
      (planning ? "\nClick to plan it here (Suggested)." : "");
    ghost.setAttribute("aria-label", "Slot " + slot.rank + ": " + slot.technician + ", " + when(slot));
    const rank = document.createElement("span");
    rank.className = "bd-slot-rank";
    rank.textContent = String(slot.rank);
    const time = document.createElement("span");
    time.className = "bd-block-time";
    time.textContent = slot.start.slice(11);
    const label = document.createElement("span");
    label.className = "bd-block-label";
    label.textContent = "#" + workOrder.number;
    ghost.append(rank, time, " ", label);
    day.appendChild(ghost);
    const lanes = Number(row.style.getPropertyValue("--lanes")) || 1;
    if (lane + 1 > lanes) {
      if (!shown.lanes.has(row)) {
        shown.lanes.set(row, String(lanes));
      }
      row.style.setProperty("--lanes", String(lane + 1));
    }
    return ghost;
  }

  function plan(ghost) {
    const workOrder = shown.workOrder;
    const slot = { rank: ghost.dataset.rank, name: ghost.getAttribute("aria-label") };
    board.classList.add("bd-busy");
    api()
      .post(board.dataset.planUrl, {
        work_order: workOrder.id,
        technician: ghost.dataset.technician,
        start: ghost.dataset.start,
      })
      .then(function (answer) {
        board.classList.remove("bd-busy");
        if (answer.ok) {
          close();
          api().replaceRows(answer.rows || {});
          api().say(answer.message, answer.warnings && answer.warnings.length ? "warn" : "ok");
          api().remember(answer.undo);
          const card = document.querySelector('#board-pane .bd-card[data-work-order="' + workOrder.id + '"]');
          if (card) {
            card.remove();
          }
          return;
        }
        // Taken since (a planning, an absence…): the check's findings say why. A proposal
        // never needs "plan anyway": one that no longer passes cleanly is not a slot.
        let reason = answer.message || "Refused.";
        if (answer.confirm) {
          reason = (answer.warnings || []).map(function (w) { return w.message; }).join(" ");
        }
        api().say("Not planned — " + slot.name + " no longer fits: " + reason.replace(/^Not planned — /, ""), "error");
        if (shown) {
          shown.ghosts = shown.ghosts.filter(function (g) { return g !== ghost; });
        }
        ghost.remove();
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    board = document.querySelector(".bd");
    if (!board || !board.dataset.slotsUrl) {
      return;
    }
    rowsBox = document.getElementById("board-rows");
    board.addEventListener("click", function (event) {
      const link = event.target.closest("#board-pane .bd-find");
      if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
        event.preventDefault();
        find(link.closest(".bd-card").dataset.workOrder);
        return;
      }
      const ghost = event.target.closest(".bd-slot");
      if (ghost && shown && !ghost.disabled) {
        plan(ghost);
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && shown) {
        event.preventDefault();
        close();
        api().say("", "");
      }
    });
    // A link to a slot's week opens it with the slots shown.
    const asked = new URLSearchParams(window.location.search).get("slots");
    if (asked) {
      find(asked);
    }
  });
})();
