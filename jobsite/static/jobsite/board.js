// The planning board: drag a work order (from "To plan" or an existing block) onto a
// technician's day, or use "+" to fill the plan form. Plain JS; the server plans through the
// same service as everything else and the page reloads to show the result and its warnings.
"use strict";
(function () {
  function csrfToken() {
    const input = document.querySelector("#board-plan-form [name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Send a plan to the server. A plan the planning check warns about comes back as a
  // question (409, "confirm"): the planner sees the warnings before anything is saved, and
  // either plans anyway or keeps the board as it was.
  function send(body) {
    const board = document.querySelector(".board");
    body.set("csrfmiddlewaretoken", csrfToken());
    return fetch(board.dataset.planUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    })
      .then(function (response) {
        return response.json().catch(function () {
          return {};
        });
      })
      .then(function (answer) {
        if (answer.confirm) {
          if (window.confirm(answer.message)) {
            body.set("plan_anyway", "1");
            return send(body);
          }
        }
        // Planned, refused or left alone: the message waits on the reloaded page.
        window.location.reload();
        return answer;
      });
  }

  function plan(workOrder, technician, day) {
    const body = new FormData();
    body.append("work_order", workOrder);
    body.append("technician", technician);
    body.append("day", day);
    return send(body);
  }

  document.addEventListener("DOMContentLoaded", function () {
    const planForm = document.getElementById("board-plan-form");
    if (planForm) {
      planForm.addEventListener("submit", function (event) {
        event.preventDefault();
        send(new FormData(planForm));
      });
    }

    document.querySelectorAll("[data-work-order][draggable=true]").forEach(function (item) {
      item.addEventListener("dragstart", function (event) {
        event.dataTransfer.setData("text/plain", item.dataset.workOrder);
        event.dataTransfer.effectAllowed = "move";
        item.classList.add("board-dragging");
      });
      item.addEventListener("dragend", function () {
        item.classList.remove("board-dragging");
      });
    });

    document.querySelectorAll(".board-cell").forEach(function (cell) {
      cell.addEventListener("dragover", function (event) {
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        cell.classList.add("board-drop-target");
      });
      cell.addEventListener("dragleave", function () {
        cell.classList.remove("board-drop-target");
      });
      cell.addEventListener("drop", function (event) {
        event.preventDefault();
        cell.classList.remove("board-drop-target");
        const workOrder = event.dataTransfer.getData("text/plain");
        if (workOrder) {
          cell.classList.add("board-busy");
          plan(workOrder, cell.dataset.technician, cell.dataset.day);
        }
      });
      const add = cell.querySelector(".board-cell-add");
      if (add) {
        add.addEventListener("click", function () {
          const form = document.getElementById("board-plan-form");
          form.querySelector("#plan-technician").value = cell.dataset.technician;
          const start = form.querySelector("#plan-start");
          const time = (start.value.split("T")[1] || "08:00").slice(0, 5);
          start.value = cell.dataset.day + "T" + time;
          form.scrollIntoView({ block: "nearest" });
          form.querySelector("#plan-work-order").focus();
        });
      }
    });

    // A click (or Enter) on a "to plan" item puts its number in the plan form: the keyboard
    // and a touch screen can plan without dragging.
    function pick(item) {
      const input = document.getElementById("plan-work-order");
      if (input) {
        input.value = item.dataset.workOrder;
        document.getElementById("plan-technician").focus();
      }
    }
    document.querySelectorAll(".board-unplanned-item").forEach(function (item) {
      item.addEventListener("click", function (event) {
        if (!event.target.closest("a")) {
          pick(item);
        }
      });
      item.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && event.target === item) {
          pick(item);
        }
      });
    });
  });
})();
