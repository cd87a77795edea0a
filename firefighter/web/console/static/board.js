// Short polling for a running Game Day's board: the scores change in place, no reload.
(function () {
  var board = document.getElementById("board");
  if (!board || board.dataset.live !== "true") return;
  var every = parseInt(board.dataset.poll || "2000", 10);
  var timer = setInterval(function () {
    fetch(board.dataset.src, { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (html === null) return;
        board.innerHTML = html;
        var status = document.getElementById("board-status");
        if (status && status.textContent.trim() !== "running") clearInterval(timer);
      })
      .catch(function () { /* the next tick tries again */ });
  }, every);
})();
