// The simulator's phone call panel: shows each call's steps and sends the decisions it waits for.
(() => {
  "use strict";
  const LABELS = {
    answer: "Answer", decline: "Do not answer", voicemail: "Voicemail answers",
    press_1: "The worker presses 1", no_key: "The worker presses nothing", machine: "Voicemail answers", no_answer: "Nobody answers",
    busy: "Busy", "1": "She presses 1", "2": "She presses 2", none: "She presses nothing",
  };
  const WHO = { worker: "The worker's phone is ringing:", worker_key: "The worker is asked to press 1:", her: "Her phone is ringing:", key: "She hears the check:" };
  const box = document.getElementById("calls");

  function render(calls) {
    if (!calls.length) { return; }
    box.replaceChildren(...calls.map((call) => {
      const div = document.createElement("div");
      div.className = "call" + (call.ended ? " ended" : "");
      div.dataset.sid = call.sid;
      const list = document.createElement("ol");
      for (const line of call.lines) {
        const li = document.createElement("li");
        li.textContent = line;
        if (line.startsWith("LEFT ON")) { li.className = "left"; }
        list.append(li);
      }
      div.append(list);
      if (call.waiting) {
        const p = document.createElement("p");
        p.className = "choices";
        p.append(WHO[call.waiting] + " ");
        for (const choice of call.choices) {
          const b = document.createElement("button");
          b.type = "button";
          b.textContent = LABELS[choice] || choice;
          b.addEventListener("click", () => decide(call.sid, choice));
          p.append(b);
        }
        div.append(p);
      }
      return div;
    }));
  }

  async function refresh() {
    try {
      const resp = await fetch("/simulator/api/calls", { cache: "no-store" });
      render((await resp.json()).calls);
    } catch (e) { /* the service restarted: the next poll tries again */ }
  }

  async function decide(sid, choice) {
    await fetch(`/simulator/api/calls/${encodeURIComponent(sid)}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ choice }),
    });
    refresh();
  }

  refresh();
  setInterval(refresh, 700);
})();
