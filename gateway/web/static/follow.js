// Live log following: the only script of the UI. Without it the page shows the log's tail.
"use strict";
document.querySelectorAll("button.follow").forEach((button) => {
  const target = document.getElementById(button.dataset.target);
  let controller = null;
  button.hidden = false;
  button.addEventListener("click", async () => {
    if (controller) {
      controller.abort();
      return;
    }
    controller = new AbortController();
    button.textContent = "Stop following";
    try {
      const response = await fetch(button.dataset.url, {signal: controller.signal, credentials: "same-origin"});
      if (!response.ok) {
        target.textContent += "\n[the log cannot be followed now (" + response.status + "); reload the page]";
        return;
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      target.textContent = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        target.textContent += decoder.decode(value, {stream: true});
        target.scrollTop = target.scrollHeight;
      }
      target.textContent += "\n[the task ended]";
    } catch (error) {
      if (error.name !== "AbortError") target.textContent += "\n[following stopped: " + error.message + "]";
    } finally {
      controller = null;
      button.textContent = "Follow live";
    }
  });
});
