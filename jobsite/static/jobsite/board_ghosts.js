/* An auto-plan on the planning board (board_proposal.html, workorders/board_ghosts.py).
   While the solver runs: poll its progress, then show the page with its ghosts. Then: count
   the ticked ghosts for "Accept ticked", mark the proposed work orders in the unplanned pane,
   and keep the ghosts in a row that board.js redraws after a move (its answer has no ghosts). */
(function () {
  "use strict";

  const POLL_MS = 1500;

  function poll(strip) {
    const params = new URLSearchParams(window.location.search);
    params.set("progress", "1");
    fetch("?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (state) {
        if (!state) {
          return;
        }
        if (!state.running) {
          window.location.reload();
          return;
        }
        strip.querySelector("#board-proposal-progress").value = state.percent;
        if (state.message) {
          strip.querySelector("#board-proposal-message").textContent = state.message;
        }
        setTimeout(poll, POLL_MS, strip);
      })
      .catch(function () {
        setTimeout(poll, POLL_MS * 2, strip);
      });
  }

  function countTicked() {
    const ticked = document.querySelectorAll(".bd-proposed input:checked").length;
    const button = document.getElementById("board-accept-ticked");
    if (button) {
      button.disabled = ticked === 0;
      document.getElementById("board-ticked").textContent = String(ticked);
    }
  }

  function markPane(ids) {
    document.querySelectorAll("#board-pane .bd-card:not(.bd-card-proposed)").forEach(function (card) {
      if (ids.has(card.dataset.workOrder)) {
        card.classList.add("bd-card-proposed");
        card.title = "In the proposed plan. " + card.title;
      }
    });
  }

  // The ghosts of each technician's row, to put back when board.js replaces the row.
  function keepGhosts(rowsBox) {
    const kept = {};
    rowsBox.querySelectorAll(".bd-row").forEach(function (row) {
      const ghosts = Array.from(row.querySelectorAll(".bd-proposed"));
      if (ghosts.length) {
        kept[row.dataset.technician] = { lanes: row.style.getPropertyValue("--lanes"), ghosts: ghosts };
      }
    });
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (row) {
          const mine = row.dataset && kept[row.dataset.technician];
          if (!mine) {
            return;
          }
          mine.ghosts.forEach(function (ghost) {
            const day = row.querySelector('.bd-day[data-day="' + ghost.dataset.start.slice(0, 10) + '"]');
            if (day) {
              day.appendChild(ghost);
            }
          });
          const lanes = Math.max(Number(row.style.getPropertyValue("--lanes")) || 1, Number(mine.lanes) || 1);
          row.style.setProperty("--lanes", String(lanes));
        });
      });
    }).observe(rowsBox, { childList: true });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const strip = document.getElementById("board-proposal");
    if (!strip) {
      return;
    }
    if (strip.classList.contains("bd-proposal-running")) {
      setTimeout(poll, POLL_MS, strip);
      return;
    }
    const rowsBox = document.getElementById("board-rows");
    rowsBox.addEventListener("change", function (event) {
      if (event.target.closest(".bd-proposed")) {
        event.target.closest(".bd-proposed").classList.toggle("bd-ticked", event.target.checked);
        countTicked();
      }
    });
    countTicked();
    keepGhosts(rowsBox);
    const ids = new Set((strip.dataset.workOrders || "").split(" ").filter(Boolean));
    const pane = document.getElementById("board-pane");
    if (ids.size && pane) {
      new MutationObserver(function () {
        markPane(ids);
      }).observe(pane, { childList: true, subtree: true });
    }
  });
})();
